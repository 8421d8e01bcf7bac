"""Generative subjects: question banks, sampling, collection into a journal, and the audit pipeline."""
