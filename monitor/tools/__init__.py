"""Developer and operator tools: demo data, synthetic visit logs, SQLite backup."""
