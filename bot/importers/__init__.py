"""Readers for CSV/XLSX files: validated rows, then one transaction."""
