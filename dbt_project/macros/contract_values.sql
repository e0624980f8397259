{#- Enumerations of the feed contract §3 (also listed in the yml accepted_values tests). -#}
{% macro contract_values() -%}
    {{ return({
        'participant_group': ['state_agency', 'public_service_unit', 'enterprise_worker', 'union_officer', 'other'],
        'field': ['pandemic_prevention', 'production_business', 'occupational_safety', 'environment',
                  'administrative_reform', 'management', 'union_activity', 'community'],
        'solution_type': ['technical', 'management', 'operational', 'technology_application', 'research_topic'],
        'recognition_level': ['grassroots', 'upper_grassroots', 'provincial_or_sector', 'confederation'],
    }) }}
{%- endmacro %}
