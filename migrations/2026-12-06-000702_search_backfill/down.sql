-- Nothing to undo: …000701's down drops the column the words went into.
SELECT 1;
