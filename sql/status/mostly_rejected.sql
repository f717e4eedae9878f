-- Files of a run most of whose rows were rejected for one reason, for `loyalty run` to name
-- with the fix; files rejected for the same reason share one line. A reason's quoted value is taken out before grouping ('USD', '30.06.2025'),
-- so one cause with many values is still one reason; the most frequent value is kept.
with

rejects as (
    select
        rejects.file_id,
        rejects."column",
        rejects.reason,
        regexp_replace(rejects.reason, '''[^'']*''', '''...''', 'g') as cause,
        nullif(regexp_extract(rejects.reason, '''([^'']*)''', 1), '') as value
    from audit.rejects as rejects
    inner join audit.files as files on files.file_id = rejects.file_id
    where files.run_id = $run_id
),

causes as (
    select
        file_id,
        "column",
        cause,
        count(*) as rows_rejected,
        mode(value) as value,
        min(reason) as example
    from rejects
    group by all
),

mostly as (
    select
        files.file_name,
        causes.*,
        coalesce(files.rows_in_file, files.rows_loaded + files.rows_rejected) as rows_in_file
    from causes
    inner join audit.files as files on files.file_id = causes.file_id
    where causes.rows_rejected * 2 > coalesce(files.rows_in_file, files.rows_loaded + files.rows_rejected)
),

-- One line per cause, however many files of the run it rejected.
final as (
    select
        list(file_name order by file_name) as file_names,
        "column",
        min(example) as reason,
        mode(value) as value,
        sum(rows_rejected)::bigint as rows_rejected,
        sum(rows_in_file)::bigint as rows_in_file
    from mostly
    group by "column", cause
)

select * from final order by file_names[1], "column"
