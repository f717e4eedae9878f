-- Detractors nobody has called back yet, the longest wait first. The comment stays out:
-- the list goes to other systems, and free text may hold what masking missed.
select
    customer_id,
    response_id,
    responded_at,
    touchpoint,
    channel,
    nps_score,
    customer_state,
    revenue_net_12m,
    preferred_channel,
    waiting_hours
from marts.detractor_followups
where followed_up_at is null
order by waiting_hours desc, response_id
