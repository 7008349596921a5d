-- Statistics are not undone. 
SELECT 1;
