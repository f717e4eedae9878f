-- Volume: the batch's row count against the median of the entity's last ten
-- validated files; flagged when it differs by more than the configured factor.
with

history as (
    select rows_loaded from audit.files
    where entity = $entity and status = 'validated' and file_id <> $file_id
    order by file_id desc
    limit 10
),

stats as (
    select median(rows_loaded) as median_rows, count(*) as files from history
),

batch as (
    select rows_loaded from audit.files where file_id = $file_id
)

select
    stats.files < 3
        or batch.rows_loaded between stats.median_rows / $factor and stats.median_rows * $factor as success,
    format('{} rows; recent median {} over {} files', batch.rows_loaded, stats.median_rows, stats.files) as observed_value,
    null::bigint as unexpected_count,
    batch.rows_loaded as element_count,
    null::varchar[] as examples
from stats, batch
