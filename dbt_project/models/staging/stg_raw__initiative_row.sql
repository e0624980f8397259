with

source as (

    select * from {{ source('raw', 'initiative_row') }}

),

renamed as (

    select
        delivery_id,
        unit_code,
        record_id,
        unit_code || ':' || record_id as initiative_key,
        business_date as delivery_business_date,
        line_number,
        is_deleted,
        nullif(title, '') as title,
        solution_type,
        field,
        participant_group,
        nullif(grassroots_union, '') as grassroots_union,
        nullif(authors, '') as authors,
        nullif(author_ids, '') as author_ids,
        benefit_vnd,
        applied_on,
        nullif(btrim(recognized_by), '') as recognized_by,
        recognition_level,
        nullif(award, '') as award,
        is_confidential,
        review_status,
        submitted_at,
        updated_at

    from source

)

select * from renamed
