"""Export of the meter's history (the `lowi_ores.export` action).

intervals (pure): the rows' boundaries in local time; rows (pure): recorded values to rows;
writers (pure): CSV, Belgian-Excel CSV and XLSX; labels: the files' words in four languages;
recorder_job: the recorder queries and the file, in the recorder's executor; action: the action,
its validation, the file's place and its signed download link.
"""
