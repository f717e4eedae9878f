-- The default as_of: the latest timestamp seen in any loaded source.
select max(latest) from (
    select max(ordered_at) as latest from raw.orders
    union all select max(returned_at) from raw.returns
    union all select max(occurred_at) from raw.events
    union all select max(updated_at) from raw.customers
    union all select max(responded_at) from raw.responses
)
