-- The NPS formulas of the metric contract, defined once and used by every model that
-- shows an NPS (analysts can call them too). p, d: promoter and detractor counts; n: responses.
create or replace macro nps(p, d, n) as 100.0 * (p - d) / n;
create or replace macro nps_moe(p, d, n) as
    100.0 * 1.96 * sqrt((p / n + d / n - power(p / n - d / n, 2)) / n);
