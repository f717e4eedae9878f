/*
description: >
  Per customer with a purchase: the probability of still buying (p_alive) and the expected
  purchases in the next 90 days, from marts.purchase_model and the customer's history.
python: purchase_model.predict
columns:
  customer_id: The customer.
  p_alive: Probability that the customer has not stopped buying (BG/NBD); 1 for a customer with one purchase day.
  expected_purchases_90d: Expected purchase days in the 90 days after as_of.
*/
select
    histories.customer_id,
    histories.frequency,
    histories.recency_days,
    histories.age_days,
    model.r,
    model.alpha,
    model.a,
    model.b
from core.purchase_histories as histories
cross join marts.purchase_model as model
