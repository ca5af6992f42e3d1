-- 0025: the date of the publisher's extract a roster was loaded from
-- (issue 22 item 3): France's RPPS open data is reused on the condition
-- that it is attributed to "RPPS" with the extract's date, which its file
-- name carries (PS_LibreAcces_Personne_activite_YYYYMMDDHHMM.txt). NULL
-- when the file name carries none.
ALTER TABLE rosters ADD COLUMN extract_date date;
