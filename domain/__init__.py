"""The business rules of Orchestra: pure Python, no framework or database imports."""
