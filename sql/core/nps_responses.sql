/*
description: >
  The responses every NPS counts: per month the latest response of each known customer
  that carries an NPS score, and every anonymous response once.
incremental:
  - {scope: customers, key: customer_id}
  - {scope: responses, key: response_id}
*/
with

responses as (
    select * from core.responses
    where nps_score is not null
        and (in_scope('customers', customer_id) or in_scope('responses', response_id))
),

final as (
    select * from responses
    qualify customer_id is null
        or row_number() over (
            partition by customer_id, month order by responded_at desc, response_id desc
        ) = 1
)

select * from final
