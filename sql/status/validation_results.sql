-- The latest validation results per file, failures first, for the validation page.
select
    files.file_name,
    results.entity,
    results.expectation,
    results."column",
    results.severity,
    results.success,
    results.observed_value,
    results.unexpected_count,
    results.element_count,
    results.unexpected_examples,
    results.description
from audit.validation_results as results
inner join audit.files as files using (file_id)
qualify results.checked_at = max(results.checked_at) over (partition by results.file_id)
order by results.success, results.severity, files.file_name, results.expectation
limit 5000
