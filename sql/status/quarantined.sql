-- Quarantined files, newest first, with what is left to do. A file a critical expectation
-- quarantined blocks the build until it is released (`loyalty release`, audit.releases) or
-- replaced by a later delivery of the same entity under the same name; validation fails
-- while one does. A file quarantined when it was read never had rows loaded.
with

quarantined as (
    select file_id, file_name, entity, path, reason, loaded_at
    from audit.files
    where status = 'quarantined'
),

releases as (
    select file_id, max(released_by) as released_by
    from audit.releases
    group by file_id
),

replaced as (
    select distinct earlier.file_id
    from audit.files as earlier
    inner join audit.files as later
        on later.entity = earlier.entity
        and later.file_name = earlier.file_name
        and later.file_id > earlier.file_id
),

critical_failures as (
    select distinct file_id
    from audit.validation_results
    where severity = 'critical' and not success
),

described as (
    select
        quarantined.file_name,
        quarantined.entity,
        (
            releases.file_id is null
            and quarantined.file_id not in (select file_id from replaced)
            and quarantined.file_id in (select file_id from critical_failures)
        ) as blocks_build,
        case
            when releases.file_id is not null then 'excluded by ' || releases.released_by
            when quarantined.file_id in (select file_id from replaced) then 'replaced'
            when quarantined.file_id in (select file_id from critical_failures)
                then 'blocks the build: replace it or `loyalty release` it'
            else 'not loaded: deliver a corrected file under the same name'
        end as state,
        quarantined.reason,
        quarantined.loaded_at,
        quarantined.path,
        quarantined.file_id
    from quarantined
    left join releases using (file_id)
)

select * from described
order by loaded_at desc, file_id desc
