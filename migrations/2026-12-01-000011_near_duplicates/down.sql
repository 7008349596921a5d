DROP FUNCTION submission_similar(bigint);
DROP TABLE submission_similarities;
DROP TABLE submission_fingerprints;
