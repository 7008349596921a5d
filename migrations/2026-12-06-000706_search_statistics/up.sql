-- The new column's statistics at once (autovacuum may be off, and a search
-- without them looks everywhere at once). It reads a sample of the rows,
-- blocking no reads or writes.
ANALYZE submissions (search);
