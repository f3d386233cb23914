"""Reports over orders: definitions and rows (pure); persistence/reads/reports.py computes
them in SQL."""
