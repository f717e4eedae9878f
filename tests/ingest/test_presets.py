"""Each preset mapping loads a small file in the shape its system really exports."""

from __future__ import annotations

from pipelines.config import Settings
from tests.conftest import fetch, run, write_csv


def test_shopify_style_orders(settings: Settings) -> None:
    write_csv(
        settings.landing / "shop/orders/orders_export_1.csv",
        [
            "Name",
            "Email",
            "Financial Status",
            "Created at",
            "Subtotal",
            "Discount Amount",
            "Currency",
            "Lineitem quantity",
            "Source",
            "Customer: ID",
        ],
        [
            [
                "#1001",
                "a@example.com",
                "paid",
                "2025-06-01 10:15:00 +0200",
                "45.00",
                "5.00",
                "EUR",
                "2",
                "web",
                "C1",
            ],
            [
                "#1002",
                "b@example.com",
                "refunded",
                "2025-06-02 11:00:00 +0200",
                "30.00",
                "0.00",
                "EUR",
                "1",
                "pos",
                "C2",
            ],
            [
                "#1003",
                "c@example.com",
                "voided",
                "2025-06-03 12:00:00 +0200",
                "12.00",
                "0.00",
                "EUR",
                "1",
                "iphone",
                "C3",
            ],
        ],
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [(f.mapping, f.rows_loaded, f.rows_rejected) for f in result.ingest.files] == [
        ("shopify_orders", 3, 0)
    ]
    assert fetch(
        settings,
        "select order_id, customer_id, status, channel, net_amount::varchar, discount_amount::varchar, item_count,"
        " ordered_at = timestamptz '2025-06-01 08:15:00+00' from raw.orders order by order_id",
    ) == [
        ("#1001", "C1", "completed", "web", "45.00", "5.00", 2, True),
        ("#1002", "C2", "returned", "store", "30.00", "0.00", 1, False),
        ("#1003", "C3", "cancelled", "app", "12.00", "0.00", 1, False),
    ]


def test_hubspot_style_contacts(settings: Settings) -> None:
    write_csv(
        settings.landing / "crm/customers/hubspot-crm-exports-all-contacts.csv",
        [
            "Record ID",
            "First Name",
            "Create Date",
            "Last Modified Date",
            "Country/Region",
            "Customer Segment",
            "Customer Status",
            "Churn Date",
            "Churn Reason",
        ],
        [
            [
                "101",
                "Anna",
                "01.03.2024 09:30",
                "15.06.2025 18:00",
                "Deutschland",
                "consumer",
                "Customer",
                "",
                "",
            ],
            [
                "102",
                "Ben",
                "02.03.2024 10:00",
                "20.06.2025 08:00",
                "Austria",
                "business",
                "Former customer",
                "19.06.2025 12:00",
                "Switched to competitor",
            ],
        ],
        delimiter=";",
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [(f.mapping, f.rows_loaded, f.rows_rejected) for f in result.ingest.files] == [
        ("hubspot_contacts", 2, 0)
    ]
    assert fetch(
        settings,
        "select customer_id, country, status, churn_reason, churned_at = timestamptz '2025-06-19 10:00:00+00'"
        " from raw.customers order by customer_id",
    ) == [("101", "DE", "active", None, None), ("102", "AT", "churned", "competitor", True)]


def test_typeform_style_responses(settings: Settings) -> None:
    write_csv(
        settings.landing / "survey/responses/typeform_export.csv",
        [
            "#",
            "How likely are you to recommend us to a friend or colleague?",
            "Overall, how satisfied are you with us?",
            "How do you rate the quality of our products?",
            "How easy were ordering, delivery and returns?",
            "How do you rate the service of our staff?",
            "Anything else you would like to tell us?",
            "customer_id",
            "touchpoint",
            "Start Date (UTC)",
            "Submit Date (UTC)",
            "Network ID",
        ],
        [
            [
                "a1b2",
                "10",
                "5",
                "5",
                "4",
                "5",
                "Great!",
                "C1",
                "post_purchase",
                "2025-06-01 10:00:00",
                "2025-06-01 10:02:13",
                "n1",
            ],
            [
                "c3d4",
                "6",
                "3",
                "3",
                "2",
                "4",
                "",
                "",
                "relationship",
                "2025-06-02 09:00:00",
                "2025-06-02 09:01:00",
                "n2",
            ],
        ],
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    assert [(f.mapping, f.rows_loaded, f.rows_rejected) for f in result.ingest.files] == [
        ("typeform_responses", 2, 0)
    ]
    assert fetch(
        settings,
        "select response_id, customer_id, nps_score, csat, product_quality, process_quality, personal_service, touchpoint"
        " from raw.responses order by response_id",
    ) == [
        ("a1b2", "C1", 10, 5, 5, 4, 5, "post_purchase"),
        ("c3d4", None, 6, 3, 3, 2, 4, "relationship"),
    ]


def test_a_file_no_mapping_fits_is_quarantined_with_the_candidates(settings: Settings) -> None:
    write_csv(
        settings.landing / "shop/orders/unknown.csv",
        ["Bestellnummer", "Kunde", "Datum", "Betrag"],
        [["1", "C1", "2025-01-01", "3"]],
    )
    result = run(settings, "ingest")
    assert result.ingest is not None
    (file,) = result.ingest.files
    assert file.status == "quarantined"
    assert "canonical: missing required column(s) order_id" in (file.reason or "")
    assert "shopify_orders: missing required column(s) Name" in (file.reason or "")
    assert "add a mapping to sources/sources.yaml" in (file.reason or "")
