-- GIN operator classes for plain values (PostgreSQL's contrib module, a
-- trusted extension: the database's owner may create it), so that one GIN
-- index can hold a piece's date beside its words (next migration).
CREATE EXTENSION IF NOT EXISTS btree_gin;
