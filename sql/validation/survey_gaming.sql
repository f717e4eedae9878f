-- Survey gaming: per month touched by the batch and per touchpoint and channel,
-- the share of 10s over the batch and the validated responses. Flagged when the share is
-- implausibly high with enough responses, or jumps against the month before.
with

batch_months as (
    select distinct date_trunc('month', responded_at) as month
    from raw.responses where _file_id = $file_id
),

-- Only the batch's months and the months before them are compared.
span as (
    select min(month) - interval 1 month as first_start, max(month) + interval 1 month as last_end
    from batch_months
),

responses as (
    select rows.*
    from raw.responses as rows
    inner join audit.files as files on files.file_id = rows._file_id
    where (files.status = 'validated' or rows._file_id = $file_id)
        and rows.nps_score is not null
        and rows.responded_at >= (select first_start from span)
        and rows.responded_at < (select last_end from span)
),

groups as (
    select
        date_trunc('month', responded_at) as month,
        grouping.dimension,
        coalesce(grouping.value, 'unknown') as value,
        count(*) as n,
        avg((nps_score = 10)::integer) as share_of_tens
    from responses
    cross join lateral (values ('touchpoint', touchpoint), ('channel', channel)) as grouping(dimension, value)
    group by all
),

compared as (
    select
        current_month.*,
        previous.share_of_tens as previous_share,
        previous.n as previous_n
    from groups as current_month
    left join groups as previous
        on previous.dimension = current_month.dimension
        and previous.value = current_month.value
        and previous.month = current_month.month - interval 1 month
    where current_month.month in (select month from batch_months)
),

flagged as (
    select
        format(
            '{}={} {}: {:.0f} % tens (n={}){}',
            dimension, value, strftime(month, '%Y-%m'), 100 * share_of_tens, n,
            case when previous_share is not null then format(', month before {:.0f} %', 100 * previous_share) else '' end
        ) as example
    from compared
    where n >= $min_n
        and (
            share_of_tens >= $top_share
            or (previous_n >= $min_n and share_of_tens - previous_share > $jump)
        )
)

select
    (select count(*) from flagged) = 0 as success,
    format('{} group(s) flagged', (select count(*) from flagged)) as observed_value,
    (select count(*) from flagged) as unexpected_count,
    (select count(*) from compared) as element_count,
    (select list(example order by example) from (select example from flagged order by 1 limit 5)) as examples
