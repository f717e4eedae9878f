"""The sample company: a synthetic shop whose customers behave as docs/sample-company.md says.

Everything is drawn with numpy in whole arrays (no per-customer loop), so a million
customers and ten million orders take minutes. The same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.ingest.entities import ENTITIES, FLAG_NAME
from pipelines.quoting import literal, plain_name

END = datetime(2026, 7, 1)
DAY = 86_400
MONTH_DAYS = 30.4375
TIERS = ("dissatisfied", "neutral", "satisfied", "delighted")
TIER_SHARES = (0.12, 0.20, 0.40, 0.28)
ORDERS_PER_MONTH = np.array([0.38, 0.55, 0.77, 1.15])
CHURN_HAZARD_PER_MONTH = np.array([0.10, 0.065, 0.045, 0.012])
WINBACK_PROBABILITY = np.array([0.08, 0.12, 0.18, 0.30])
REFERRAL_PROPENSITY = np.array([0.02, 0.03, 0.10, 0.40])
COMPETITOR_SHARE = np.array([0.25, 0.35, 0.50, 0.20])
REASONS = ("competitor", "price", "service", "product", "moved", "other")
COUNTRIES = ("DE", "AT", "CH", "NL", "FR", "GB")
COUNTRY_SHARES = (0.45, 0.15, 0.10, 0.10, 0.10, 0.10)
SEGMENTS = ("consumer", "business", "premium")
CHANNELS = ("web", "app", "store")
SURVEY_CHANNELS = ("web", "app", "store", "email", "phone")
CONTACT_CHANNELS = ("phone", "email", "chat", "web")


def draw_outreach(
    rng: np.random.Generator, responses: pd.DataFrame, horizon: float
) -> pd.DataFrame:
    """Call-backs after detractor responses: 60 % within 48 hours, 25 % later, 15 % never."""
    detractors = responses[(responses.nps_score <= 6) & ~responses.anonymous]
    outcome = rng.choice(["prompt", "late", "never"], len(detractors), p=[0.6, 0.25, 0.15])
    delay_days = np.where(
        outcome == "prompt",
        rng.uniform(0.1, 2.0, len(detractors)),
        rng.uniform(2.1, 14.0, len(detractors)),
    )
    calls = pd.DataFrame(
        {
            "cust": detractors.cust.to_numpy(),
            "days": detractors.days.to_numpy() + delay_days,
            "event_type": "outreach",
            "channel": "phone",
        }
    )
    return calls[(outcome != "never") & (calls.days < horizon)]


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    customers: int = 5_000
    months: int = 24
    seed: int = 7
    flags: bool = True


@dataclass
class Company:
    """The generated tables, in canonical columns, before they are written as exports."""

    customers: pd.DataFrame
    customer_snapshots: pd.DataFrame
    events: pd.DataFrame
    orders: pd.DataFrame
    returns: pd.DataFrame
    responses: pd.DataFrame


def period_start(months: int) -> datetime:
    year, month = divmod(END.year * 12 + END.month - 1 - months, 12)
    return datetime(year, month + 1, 1)


def to_timestamps(start: datetime, days: np.ndarray) -> pd.Series:
    seconds = np.round(days * DAY).astype("int64")
    return pd.Series(pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"))


def seasonality(start: datetime, days: np.ndarray) -> np.ndarray:
    """Relative order intensity: about 1.35x in December, 0.7x in summer."""
    month_of_year = (start.month - 1 + days / MONTH_DAYS) % 12
    return 1.0 + 0.32 * np.cos(2 * np.pi * (month_of_year - 11.5) / 12)


def draw_customers(rng: np.random.Generator, n: int, horizon: float) -> pd.DataFrame:
    """Latent traits: satisfaction tier, discount hunting, service experience, lifetimes."""
    signup = horizon * rng.random(n) ** 0.8
    tier = rng.choice(4, size=n, p=TIER_SHARES)
    hunter = rng.random(n) < 0.25
    bad_service = rng.random(n) < 0.15
    drop = (hunter & (rng.random(n) < 0.35)) | (bad_service & (rng.random(n) < 0.6))
    tier = np.where(drop, np.maximum(tier - 1, 0), tier)
    life1 = rng.exponential(MONTH_DAYS / CHURN_HAZARD_PER_MONTH[tier])
    end1 = signup + life1
    churned = end1 < horizon
    explicit = churned & (rng.random(n) < 0.45)
    won_back = churned & (rng.random(n) < WINBACK_PROBABILITY[tier])
    start2 = end1 + rng.uniform(60, 420, n)
    won_back &= start2 < horizon
    end2 = np.minimum(
        start2 + rng.exponential(MONTH_DAYS / (1.3 * CHURN_HAZARD_PER_MONTH[tier])), horizon
    )
    reason = np.where(
        rng.random(n) < COMPETITOR_SHARE[tier],
        0,
        np.where(hunter, 1, np.where(bad_service, 2, rng.choice([3, 4, 5], size=n))),
    )
    return pd.DataFrame(
        {
            "signup": signup,
            "tier": tier,
            "hunter": hunter,
            "bad_service": bad_service,
            "end1": np.minimum(end1, horizon),
            "churned": churned,
            "explicit": explicit,
            "won_back": won_back,
            "start2": np.where(won_back, start2, np.nan),
            "end2": np.where(won_back, end2, np.nan),
            "reason": reason,
        }
    )


def draw_orders(rng: np.random.Generator, traits: pd.DataFrame, start: datetime) -> pd.DataFrame:
    """Orders of every active spell: one at its start, then a seasonal Poisson process."""
    wb = traits[traits.won_back]
    cust = np.concatenate([traits.index.to_numpy(), wb.index.to_numpy()])
    seg_start = np.concatenate([traits.signup.to_numpy(), wb.start2.to_numpy()])
    seg_end = np.concatenate([traits.end1.to_numpy(), wb.end2.to_numpy()])
    tier = traits.tier.to_numpy()[cust]
    rate = ORDERS_PER_MONTH[tier] * np.where(traits.hunter.to_numpy()[cust], 1.15, 1.0)
    length = np.maximum(seg_end - seg_start, 0)
    peak = 1.32
    counts = rng.poisson(rate * length / MONTH_DAYS * peak)
    seg = np.repeat(np.arange(len(cust)), counts)
    days = seg_start[seg] + rng.random(len(seg)) * length[seg]
    keep = rng.random(len(days)) < seasonality(start, days) / peak
    order_cust = np.concatenate([cust, cust[seg[keep]]])
    order_days = np.concatenate([seg_start, days[keep]])
    order = np.lexsort((order_days, order_cust))
    order_cust, order_days = order_cust[order], order_days[order]
    n = len(order_cust)
    hunter = traits.hunter.to_numpy()[order_cust]
    gross = np.round(rng.lognormal(3.9, 0.6, n), 2)
    discount_rate = np.where(
        hunter, rng.choice([0.0, 0.15, 0.25, 0.3], n), rng.choice([0.0, 0.0, 0.0, 0.1], n)
    )
    discount = np.round(gross * discount_rate, 2)
    status = rng.choice(["completed", "cancelled", "returned"], size=n, p=[0.92, 0.03, 0.05])
    return pd.DataFrame(
        {
            "order_id": [f"O{i:09d}" for i in range(1, n + 1)],
            "cust": order_cust,
            "days": order_days,
            "net_amount": np.round(gross - discount, 2),
            "status": status,
            "channel": rng.choice(CHANNELS, size=n, p=[0.55, 0.3, 0.15]),
            "gross_amount": gross,
            "discount_amount": discount,
            "item_count": rng.integers(1, 6, n),
        }
    )


def draw_contacts(rng: np.random.Generator, traits: pd.DataFrame) -> pd.DataFrame:
    """Support contacts and complaints; customers with bad service get handoffs."""
    life = traits.end1.to_numpy() - traits.signup.to_numpy()
    counts = rng.poisson(0.12 * life / MONTH_DAYS) + traits.bad_service.to_numpy()
    cust = np.repeat(traits.index.to_numpy(), counts)
    days = traits.signup.to_numpy()[cust] + rng.random(len(cust)) * life[cust]
    bad = traits.bad_service.to_numpy()[cust]
    handoffs = np.where(
        bad, rng.choice([1, 2, 3, 4], len(cust)), rng.choice([0, 0, 0, 1], len(cust))
    )
    hours = rng.lognormal(np.where(bad, 3.6, 2.2), 0.8)
    resolved = rng.random(len(cust)) > np.where(bad, 0.25, 0.05)
    return pd.DataFrame(
        {
            "cust": cust,
            "days": days,
            "event_type": np.where(
                rng.random(len(cust)) < np.where(bad, 0.45, 0.12), "complaint", "support_contact"
            ),
            "channel": rng.choice(CONTACT_CHANNELS, len(cust)),
            "resolved_days": np.where(resolved, days + hours / 24, np.nan),
            "handoffs": handoffs,
        }
    )


def draw_referrals(rng: np.random.Generator, traits: pd.DataFrame) -> pd.DataFrame:
    """Referred new customers, each credited to an earlier customer likely to promote."""
    by_signup = np.argsort(traits.signup.to_numpy(), kind="stable")
    rank = np.arange(len(by_signup))
    referred_rank = rank[(rank > 20) & (rng.random(len(rank)) < 0.07)]
    candidates = (rng.random((len(referred_rank), 4)) * referred_rank[:, None]).astype(int)
    propensity = REFERRAL_PROPENSITY[traits.tier.to_numpy()[by_signup[candidates]]]
    best = candidates[
        np.arange(len(candidates)), np.argmax(propensity * rng.random(propensity.shape), axis=1)
    ]
    referred = by_signup[referred_rank]
    referrer = by_signup[best]
    days = traits.signup.to_numpy()[referred] - rng.uniform(1, 20, len(referred))
    ok = days > traits.signup.to_numpy()[referrer]
    return pd.DataFrame({"cust": referrer[ok], "referred": referred[ok], "days": days[ok]})


def score_responses(
    rng: np.random.Generator, tier: np.ndarray, bad: np.ndarray
) -> dict[str, np.ndarray]:
    """NPS, CSAT and the three quality items of responses by customers of the given tiers."""
    n = len(tier)
    csat = np.array([1, 3, 4, 5])[tier] - ((tier == 0) & (rng.random(n) < 0.5))
    noise = rng.random(n) < 0.15
    csat = np.clip(csat + noise * rng.choice([-1, 1], n), 1, 5)
    nps_centre = np.array([3.5, 6.5, 8.0, 9.5])[tier]
    nps = np.clip(np.round(nps_centre + rng.normal(0, 1.1, n)), 0, 10).astype(int)
    product = np.clip(np.round(csat + rng.normal(0, 0.6, n)), 1, 5).astype(int)
    process = np.clip(np.round(csat - bad * 1.2 + rng.normal(0, 1.0, n)), 1, 5).astype(int)
    personal = np.clip(np.round(3.8 + 0.2 * (csat - 3) + rng.normal(0, 0.9, n)), 1, 5).astype(int)
    return {
        "nps_score": nps,
        "csat": csat.astype(int),
        "product_quality": product,
        "process_quality": process,
        "personal_service": personal,
    }


def draw_responses(
    rng: np.random.Generator,
    traits: pd.DataFrame,
    orders: pd.DataFrame,
    contacts: pd.DataFrame,
    horizon: float,
) -> pd.DataFrame:
    """Post-purchase, support and relationship surveys, scored from each customer's tier."""
    post = orders.sample(frac=0.07, random_state=rng.integers(1 << 31))
    sup = contacts.sample(frac=0.3, random_state=rng.integers(1 << 31))
    rel = traits.sample(frac=0.15, random_state=rng.integers(1 << 31))
    rel_days = rel.signup.to_numpy() + rng.random(len(rel)) * (
        rel.end1.to_numpy() - rel.signup.to_numpy()
    )
    frames = pd.DataFrame(
        {
            "cust": np.concatenate(
                [post.cust.to_numpy(), sup.cust.to_numpy(), rel.index.to_numpy()]
            ),
            "days": np.concatenate(
                [
                    post.days.to_numpy() + rng.uniform(2, 10, len(post)),
                    sup.days.to_numpy() + rng.uniform(1, 3, len(sup)),
                    rel_days,
                ]
            ),
            "touchpoint": np.repeat(
                ["post_purchase", "support", "relationship"], [len(post), len(sup), len(rel)]
            ),
        }
    )
    frames = (
        frames[frames.days < horizon]
        .sort_values(["days", "cust"], kind="stable")
        .reset_index(drop=True)
    )
    n = len(frames)
    scores = score_responses(
        rng, traits.tier.to_numpy()[frames.cust], traits.bad_service.to_numpy()[frames.cust]
    )
    for name, values in scores.items():
        frames[name] = values
    frames["response_id"] = [f"R{i:09d}" for i in range(1, n + 1)]
    frames["anonymous"] = rng.random(n) < 0.04
    frames["channel"] = rng.choice(SURVEY_CHANNELS, n, p=[0.4, 0.25, 0.1, 0.2, 0.05])
    frames["language"] = rng.choice(["de", "en"], n, p=[0.7, 0.3])
    frames["comment"] = np.where(
        rng.random(n) < 0.1,
        np.where(
            frames.nps_score.to_numpy() >= 9,
            "Great service, fast delivery",
            "Delivery took too long",
        ),
        "",
    )
    return frames


def build_company(options: GenerateOptions) -> Company:
    """Draw every table of the sample company."""
    rng = np.random.default_rng(options.seed)
    start = period_start(options.months)
    horizon = (END - start).total_seconds() / DAY
    traits = draw_customers(rng, options.customers, horizon)
    orders = draw_orders(rng, traits, start)
    contacts = draw_contacts(rng, traits)
    referrals = draw_referrals(rng, traits)
    responses = draw_responses(rng, traits, orders, contacts, horizon)
    # A stream of its own, so the call-backs leave every other table as it was.
    outreach = draw_outreach(np.random.default_rng((options.seed, 18)), responses, horizon)
    ids = np.array([f"C{i:07d}" for i in range(1, options.customers + 1)], dtype=object)
    return Company(
        customers=customer_table(rng, traits, ids, start, horizon, latest=True),
        customer_snapshots=customer_table(rng, traits, ids, start, horizon, latest=False),
        events=event_table(rng, traits, contacts, referrals, outreach, ids, start),
        orders=order_table(orders, ids, start),
        returns=return_table(rng, orders, start, horizon),
        responses=response_table(responses, ids, start),
    )


def customer_table(
    rng: np.random.Generator,
    traits: pd.DataFrame,
    ids: np.ndarray,
    start: datetime,
    horizon: float,
    latest: bool,
) -> pd.DataFrame:
    """The CRM export: latest=True is today's full export; False, an older export mid-period."""
    n = len(traits)
    local = np.random.default_rng(n)
    explicit_now = traits.explicit.to_numpy() & ~traits.won_back.to_numpy()
    table = pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": to_timestamps(start, traits.signup.to_numpy() - 1),
            "country": local.choice(COUNTRIES, n, p=COUNTRY_SHARES),
            "segment": local.choice(SEGMENTS, n, p=[0.7, 0.2, 0.1]),
            "preferred_channel": local.choice(["web", "app", "store", "email", "phone"], n),
        }
    )
    if latest:
        # A won-back customer is active again since the reactivation; the CRM keeps the
        # date and reason of the churn they came back from.
        explicit = traits.explicit.to_numpy()
        updated = np.select(
            [explicit_now, explicit],
            [traits.end1.to_numpy(), traits.start2.to_numpy()],
            traits.signup.to_numpy() + 1,
        )
        table["updated_at"] = to_timestamps(start, np.minimum(updated + 0.5, horizon - 1 / DAY))
        table["status"] = np.where(explicit_now, "churned", "active")
        table["churned_at"] = to_timestamps(start, traits.end1.to_numpy()).where(explicit)
        table["churn_reason"] = np.where(
            explicit, np.array(REASONS)[traits.reason.to_numpy()], None
        )
        return table
    mid = horizon / 2
    older = table[traits.signup.to_numpy() < mid].copy()
    older["updated_at"] = older.created_at
    older["status"] = "active"
    older["segment"] = "consumer"
    older["churned_at"] = pd.NaT
    older["churn_reason"] = None
    return older


def event_table(
    rng: np.random.Generator,
    traits: pd.DataFrame,
    contacts: pd.DataFrame,
    referrals: pd.DataFrame,
    outreach: pd.DataFrame,
    ids: np.ndarray,
    start: datetime,
) -> pd.DataFrame:
    """CRM events: contacts, referrals, cancellations, win-back offers, reactivations, call-backs."""
    churn = traits[traits.explicit & (traits.won_back | (rng.random(len(traits)) < 0.6))]
    wb = traits[traits.won_back]
    parts = [
        pd.DataFrame(
            {
                "cust": contacts.cust,
                "days": contacts.days,
                "event_type": contacts.event_type,
                "channel": contacts.channel,
                "resolved_days": contacts.resolved_days,
                "handoffs": contacts.handoffs.astype("Int64"),
            }
        ),
        pd.DataFrame(
            {
                "cust": referrals.cust,
                "days": referrals.days,
                "event_type": "referral",
                "referred": referrals.referred,
            }
        ),
        pd.DataFrame({"cust": churn.index, "days": churn.end1, "event_type": "cancellation"}),
        pd.DataFrame(
            {
                "cust": wb.index,
                "days": wb.start2 - rng.uniform(10, 30, len(wb)),
                "event_type": "winback_offer",
                "channel": "email",
            }
        ),
        pd.DataFrame({"cust": wb.index, "days": wb.start2, "event_type": "reactivation"}),
        outreach,
    ]
    events = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["days", "cust"], kind="stable")
        .reset_index(drop=True)
    )
    referred = events.referred.to_numpy()
    has_referred = ~pd.isna(referred)
    referred_ids = np.full(len(events), None, dtype=object)
    referred_ids[has_referred] = ids[referred[has_referred].astype(int)]
    resolved = events.resolved_days.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "event_id": [f"E{i:09d}" for i in range(1, len(events) + 1)],
            "customer_id": ids[events.cust.to_numpy(dtype=int)],
            "occurred_at": to_timestamps(start, events.days.to_numpy(dtype=float)),
            "event_type": events.event_type,
            "channel": events.channel,
            "resolved_at": to_timestamps(start, np.nan_to_num(resolved)).where(~np.isnan(resolved)),
            "handoffs": events.handoffs,
            "referred_customer_id": referred_ids,
        }
    )


def order_table(orders: pd.DataFrame, ids: np.ndarray, start: datetime) -> pd.DataFrame:
    table = orders.drop(columns=["cust", "days"])
    table.insert(1, "customer_id", ids[orders.cust.to_numpy()])
    table.insert(2, "ordered_at", to_timestamps(start, orders.days.to_numpy()))
    table["currency"] = "EUR"
    return table


def return_table(
    rng: np.random.Generator, orders: pd.DataFrame, start: datetime, horizon: float
) -> pd.DataFrame:
    returned = orders[orders.status == "returned"]
    days = returned.days.to_numpy() + rng.uniform(3, 20, len(returned))
    keep = days < horizon
    returned = returned[keep]
    return pd.DataFrame(
        {
            "return_id": [f"T{i:09d}" for i in range(1, len(returned) + 1)],
            "order_id": returned.order_id.to_numpy(),
            "returned_at": to_timestamps(start, days[keep]),
            "amount": np.round(
                returned.net_amount.to_numpy() * rng.uniform(0.3, 1.0, len(returned)), 2
            ),
            "reason": rng.choice(
                ["size", "damaged", "not as described", "changed mind"], len(returned)
            ),
        }
    )


def response_table(responses: pd.DataFrame, ids: np.ndarray, start: datetime) -> pd.DataFrame:
    customer = np.where(responses.anonymous.to_numpy(), None, ids[responses.cust.to_numpy()])
    return pd.DataFrame(
        {
            "response_id": responses.response_id,
            "responded_at": to_timestamps(start, responses.days.to_numpy()),
            "customer_id": customer,
            "touchpoint": responses.touchpoint,
            "channel": responses.channel,
            "nps_score": responses.nps_score,
            "csat": responses.csat,
            "product_quality": responses.product_quality,
            "process_quality": responses.process_quality,
            "personal_service": responses.personal_service,
            "comment": responses.comment,
            "language": responses.language,
        }
    )


def write_exports(
    company: Company, options: GenerateOptions, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write the canonical landing layout: monthly files per entity, then each folder's flag file."""
    out = options.out
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    written: list[Path] = []
    mid = company.customer_snapshots.updated_at.max()
    # (entity, rows, monthly files or one, file name pattern)
    exports = [
        ("customers", company.customer_snapshots, False, f"customers_{mid:%Y-%m-%d}.csv"),
        ("customers", company.customers, False, f"customers_{END:%Y-%m-%d}.csv"),
        ("events", company.events, True, "events_{month}.csv"),
        ("orders", company.orders, True, "orders_{month}.csv"),
        ("returns", company.returns, True, "returns_{month}.csv"),
        ("responses", company.responses, True, "responses_{month}.ndjson"),
    ]
    for entity, frame, monthly, pattern in exports:
        folder, month_column = ENTITIES[entity].folder, ENTITIES[entity].stamp
        target = out / folder
        target.mkdir(parents=True, exist_ok=True)
        con.register("frame", frame)
        months = sorted(frame[month_column].dt.strftime("%Y-%m").unique()) if monthly else [None]
        for month in months:
            path = target / pattern.format(month=month)
            where_sql = (
                ""
                if month is None
                else f"where strftime({plain_name(month_column)}, '%Y-%m') = {literal(month)}"
            )
            options_sql = (
                "(format json)"
                if path.suffix == ".ndjson"
                else "(header, timestampformat '%Y-%m-%dT%H:%M:%SZ')"
            )
            con.execute(
                f"copy (select * from frame {where_sql}) to {literal(str(path))} {options_sql}"
            )
            written.append(path)
            if progress:
                progress(str(path))
        con.unregister("frame")
        if options.flags:
            (target / FLAG_NAME).touch()
    con.close()
    return written


def generate(options: GenerateOptions, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Generate the sample company's exports under options.out."""
    return write_exports(build_company(options), options, progress)
