"""Outputs: tables (CSV, JSONL, Parquet) and the evaluation report."""
