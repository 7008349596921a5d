DROP FUNCTION public_corrections(bigint);
DROP TABLE submission_corrections;
DROP FUNCTION refuse_correction_update();
