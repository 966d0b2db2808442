"""Files in and out: owner imports (CSV/XLSX) and reminder exports."""
