/*
description: >
  Each customer once per dimension of the breakdowns (country, segment,
  acquisition_channel) with their value (core.customer_dimensions): the rows the
  *_by_dimension marts join their facts to.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  dimension: country, segment or acquisition_channel.
  value: The customer's value of the dimension (e.g. DE, premium, app); 'unknown' where not known.
*/
with

dimensions as (
    select * from core.customer_dimensions where in_scope('customers', customer_id)
),

final as (
    select dimensions.customer_id, groups.dimension, groups.value
    from dimensions
    cross join lateral (
        values
            ('country', dimensions.country),
            ('segment', dimensions.segment),
            ('acquisition_channel', dimensions.acquisition_channel)
    ) as groups(dimension, value)
)

select * from final
