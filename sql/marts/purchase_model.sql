/*
description: >
  The BG/NBD purchase model (Fader, Hardie and Lee 2005, "Counting your customers the easy
  way") fitted by maximum likelihood to every customer with a purchase up to as_of
  (core.purchase_histories, time unit: day). One row; a fit that does not converge fails
  the build and leaves the previous row and customer_health as they were
  (docs/purchase_model.md).
python: purchase_model.fit
columns:
  model: BG/NBD.
  time_unit: day (purchase rates per day).
  r: Shape of the gamma distribution of purchase rates over customers.
  alpha: Rate (scale in days) of that gamma distribution.
  a: First shape of the beta distribution of the dropout probability after a purchase.
  b: Second shape of that beta distribution.
  customers: Customers the model was fitted to.
  log_likelihood: Log-likelihood of the fitted parameters.
  converged: True (a fit that does not converge is never written).
  iterations: Iterations of the optimiser (L-BFGS-B on the parameters' logarithms).
  fitted_at: When the model was fitted.
*/
-- Customers with the same history share one likelihood term: each history once, with its
-- count, in a fixed order (the fit's sums, and so its last digits, depend on the order).
select frequency, recency_days, age_days, count(*) as customers
from core.purchase_histories
group by all
order by all
