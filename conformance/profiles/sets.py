"""``--set`` overrides from the command line.

Syntax: ``[PROFILE/]REQUIREMENT.FIELD=VALUE``

* ``FIELD`` is ``severity``, ``decision_rule``, ``threshold.min``, ``threshold.max``,
  ``threshold.origin``, ``threshold.note`` or ``params.NAME`` (a parameter of the cited check);
  a checklist item has only ``severity``.
* ``PROFILE/`` may be left out when exactly one profile of the run has that requirement.
* ``VALUE`` is read as YAML: ``0.85``, ``true``, ``null`` (drop a bound), ``confidence``.
* ``PROFILE/annex_iii=employment,creditworthiness`` selects EU AI Act Annex III use cases.

Example: ``--set eeoc-four-fifths/four-fifths.threshold.min=0.85``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, get_args

from conformance.yamlfile import parse_yaml

from conformance.errors import ConfigError, did_you_mean
from conformance.profiles.loader import LoadedProfile, select_use_cases
from conformance.profiles.overrides import change, settable_fields
from conformance.profiles.schema import AnnexIIIUseCase
from conformance.result import OverrideRecord

SYNTAX = "write --set [PROFILE/]REQUIREMENT.FIELD=VALUE, e.g. eeoc-four-fifths/four-fifths.threshold.min=0.85"
USE_CASES = get_args(AnnexIIIUseCase)


@dataclass(frozen=True)
class SetOption:
    """One parsed ``--set``: the profile (if given), the rest of the key, and the value."""

    text: str
    profile: str | None
    target: str  # REQUIREMENT.FIELD, or annex_iii
    value: Any


def parse_set(text: str) -> SetOption:
    """Split ``[PROFILE/]TARGET=VALUE``; the target is resolved against the run's profiles later."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set '{text}': no '='", SYNTAX)
    profile, slash, target = key.rpartition("/")
    if not slash:
        profile, target = "", key
    if slash and not profile:
        raise ConfigError(f"--set '{text}': empty profile before '/'", SYNTAX)
    if not target or (target != "annex_iii" and "." not in target):
        raise ConfigError(f"--set '{text}': expected REQUIREMENT.FIELD before '='", SYNTAX)
    try:
        value = parse_yaml(raw, f"'{text}'", "--set", ConfigError)[1] if raw.strip() else None
    except ConfigError as exc:
        raise ConfigError(f"--set '{text}': the value is not valid YAML", "quote strings with spaces") from exc
    if isinstance(value, (dict, list)) and target != "annex_iii":
        raise ConfigError(f"--set '{text}': the value must be a single number, word or null", SYNTAX)
    return SetOption(text=text, profile=profile or None, target=target, value=value)


def _split_target(option: SetOption, loaded: LoadedProfile) -> tuple[str, str] | None:
    """The longest requirement id the target starts with (ids may contain dots), and the field."""
    ids = sorted((r.id for r in loaded.candidates), key=len, reverse=True)
    return next(((i, option.target[len(i) + 1 :]) for i in ids if option.target.startswith(i + ".")), None)


def _use_cases(option: SetOption) -> tuple[str, ...]:
    value = option.value
    items = value if isinstance(value, list) else ([] if value is None else str(value).split(","))
    chosen = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
    for item in chosen:
        if item not in USE_CASES:
            raise ConfigError(f"--set '{option.text}': unknown Annex III use case '{item}'", did_you_mean(item, USE_CASES))
    return chosen


def apply_sets(profiles: list[LoadedProfile], texts: list[str]) -> list[LoadedProfile]:
    """Apply ``--set`` options to the run's loaded profiles, recording each change."""
    by_id = {p.profile.id: p for p in profiles}
    for text in texts:
        option = parse_set(text)
        if option.profile is not None and option.profile not in by_id:
            raise ConfigError(f"--set '{text}': profile '{option.profile}' is not in this run", did_you_mean(option.profile, by_id))
        if option.target == "annex_iii":
            if option.profile is None:
                raise ConfigError(f"--set '{text}': say which profile: PROFILE/annex_iii=USE_CASE", SYNTAX)
            loaded = by_id[option.profile]
            chosen = _use_cases(option)
            record = OverrideRecord(profile=loaded.profile.id, requirement="*", field="annex_iii",
                                    old=list(loaded.annex_iii), new=list(chosen), source="--set")
            by_id[option.profile] = replace(loaded, annex_iii=chosen, requirements=select_use_cases(loaded.candidates, chosen),
                                            overrides=(*loaded.overrides, record))
            continue
        candidates = [by_id[option.profile]] if option.profile else list(by_id.values())
        hits = [(p, split) for p in candidates if (split := _split_target(option, p)) is not None]
        if not hits:
            ids = [r.id for p in candidates for r in p.candidates]
            head = option.target.split(".", 1)[0]
            scope = f"profile '{option.profile}'" if option.profile else "the profiles of this run"
            raise ConfigError(f"--set '{text}': no requirement '{head}' in {scope}", did_you_mean(head, ids))
        if len(hits) > 1:
            names = ", ".join(p.profile.id for p, _ in hits)
            raise ConfigError(f"--set '{text}': requirement '{hits[0][1][0]}' is in several profiles ({names})",
                              "prefix it with PROFILE/")
        loaded, (req_id, dotted) = hits[0]
        requirement = next(r for r in loaded.candidates if r.id == req_id)
        if dotted not in settable_fields(requirement):
            raise ConfigError(f"--set '{text}': '{dotted}' cannot be set on '{req_id}'",
                              did_you_mean(dotted, settable_fields(requirement)))
        updated, records = change(requirement, [(dotted, option.value)], profile_id=loaded.profile.id, source="--set",
                                  justification=None, where=f"--set '{text}'", error=ConfigError)
        candidates_ = tuple(updated if r.id == req_id else r for r in loaded.candidates)
        by_id[loaded.profile.id] = replace(loaded, candidates=candidates_,
                                           requirements=select_use_cases(candidates_, loaded.annex_iii),
                                           overrides=(*loaded.overrides, *records))
    return [by_id[p.profile.id] for p in profiles]
