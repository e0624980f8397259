{#- One select, no CTEs (see stg_raw__initiative_row: views with a WITH clause are not flattened). -#}
select
    delivery_id,
    unit_code,
    business_date,
    status as delivery_status,
    transport,
    has_manifest,
    rows_received,
    rows_published,
    rows_rejected,
    rows_superseded,
    received_at,
    loaded_at,
    replaced_at

from {{ source('quality', 'delivery') }}
