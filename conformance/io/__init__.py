"""Reading what an audit is given: tables (CSV, Parquet) and models (skops, …)."""
