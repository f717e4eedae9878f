-- The NPS formulas of the metric contract, defined once and used by every model that
-- shows an NPS (analysts can call them too). p, d: promoter and detractor counts; n: responses.
create or replace macro nps(p, d, n) as 100.0 * (p - d) / n;
-- The 95 % margin in NPS points, adjusted Wald: 0.75 promoters and 0.75 detractors (3
-- responses in all) are added, so a small sample never gets a margin of 0 and n = 1 none
-- above 100 points. The NPS itself stays unadjusted.
create or replace macro nps_moe(p, d, n) as
    100.0 * 1.96 * sqrt(
        ((p + 0.75) / (n + 3) + (d + 0.75) / (n + 3) - power((p - d) / (n + 3), 2)) / (n + 3)
    );
-- The last second of month m (a DATE): a month is complete when as_of is at or after it.
create or replace macro month_end(m) as m::timestamptz + interval 1 month - interval 1 second;

-- Personal data in free text: e-mail addresses and phone numbers become [email] and [phone].
-- Phones: international (+49 ..., 0049 ...) or national with a leading 0 (0170 1234567,
-- (030) 1234-567), at least 8 digits in all; dates and amounts do not match.
create or replace macro mask_pii(text) as regexp_replace(
    regexp_replace(
        regexp_replace(
            text,
            '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}', '[email]', 'g'
        ),
        '(\+|\b00)[1-9][0-9 ()./-]{6,}[0-9]', '[phone]', 'g'
    ),
    '\(?\b0[0-9]{2,5}\)?[ ./-]{0,2}[0-9][0-9 ./-]{4,}[0-9]', '[phone]', 'g'
);
-- A free-text field as staging keeps it: control characters removed (tab and newline stay),
-- personal data masked.
create or replace macro clean_text(text) as
    mask_pii(regexp_replace(text, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]', '', 'g'));
