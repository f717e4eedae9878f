/*
description: >
  The validation warnings of the validated files (a warning does not stop a file; a
  critical failure quarantines it), from the latest check of each file, with the time
  range of the file's data, so that a report lists the warnings that concern its period.
  Every check with its result is in audit.validation_results and on validation.html.
columns:
  file_id: The file (audit.files).
  file_name: Its name in the landing zone.
  entity: customers, events, orders, returns or responses.
  expectation: The expectation that failed, e.g. expect_batch_volume_near_recent_median.
  column: The column it checks; NULL for checks of the whole batch.
  observed_value: What the check observed, in its own words.
  unexpected_count: Rows that broke the expectation, where it counts rows.
  element_count: Rows the expectation looked at.
  unexpected_examples: A few offending values (JSON list).
  description: What the expectation asks for.
  checked_at: When the file was checked.
  first_data_at: The earliest timestamp in the file's rows (ordered_at, returned_at, occurred_at, updated_at or responded_at).
  last_data_at: The latest such timestamp.
*/
with

latest_checks as (
    select * from audit.validation_results
    qualify checked_at = max(checked_at) over (partition by file_id)
),

warnings as (
    select latest_checks.*, files.file_name
    from latest_checks
    inner join audit.files as files on files.file_id = latest_checks.file_id
    where latest_checks.severity = 'warning'
        and not latest_checks.success
        and files.status = 'validated'
),

periods as (
    select _file_id as file_id, min(ordered_at) as first_at, max(ordered_at) as last_at
    from raw.orders where _file_id in (select file_id from warnings) group by all
    union all
    select _file_id, min(returned_at), max(returned_at)
    from raw.returns where _file_id in (select file_id from warnings) group by all
    union all
    select _file_id, min(occurred_at), max(occurred_at)
    from raw.events where _file_id in (select file_id from warnings) group by all
    union all
    select _file_id, min(updated_at), max(updated_at)
    from raw.customers where _file_id in (select file_id from warnings) group by all
    union all
    select _file_id, min(responded_at), max(responded_at)
    from raw.responses where _file_id in (select file_id from warnings) group by all
),

final as (
    select
        warnings.file_id,
        warnings.file_name,
        warnings.entity,
        warnings.expectation,
        warnings."column",
        warnings.observed_value,
        warnings.unexpected_count,
        warnings.element_count,
        warnings.unexpected_examples,
        warnings.description,
        warnings.checked_at,
        periods.first_at as first_data_at,
        periods.last_at as last_data_at
    from warnings
    left join periods on periods.file_id = warnings.file_id
)

select * from final order by last_data_at desc nulls last, file_name, expectation
