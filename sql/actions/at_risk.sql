-- Active customers in the high and medium risk bands, high first, most revenue first.
-- Ids and coded fields only: no contact data, no free text.
select
    customer_id,
    risk_band,
    round(p_alive, 3) as p_alive,
    round(expected_purchases_90d, 2) as expected_purchases_90d,
    days_since_last_purchase,
    revenue_net_12m,
    state,
    last_nps,
    open_complaint,
    country,
    segment,
    acquisition_channel,
    risk_reason
from marts.customer_health
where risk_band in ('high', 'medium')
order by risk_band = 'high' desc, revenue_net_12m desc, customer_id
