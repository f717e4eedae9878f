"""loyalty-pipeline: customer-loyalty metrics from CRM, shop and survey exports."""
