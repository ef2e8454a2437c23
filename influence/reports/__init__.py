"""Outputs: row tables (CSV, JSONL, Parquet), the HTML review page, the evaluation report and
its plots, and the terminal view of `influence explain`."""
