"""Qt item models over DTO columns, with a fast filter/sort proxy for tables of 100,000 rows."""
