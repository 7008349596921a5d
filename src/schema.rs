// @generated automatically by Diesel CLI.

diesel::table! {
    attachments (id) {
        id -> Int8,
        inbound_message_id -> Int8,
        submission_id -> Int8,
        n -> Int4,
        filename -> Nullable<Text>,
        content_type -> Text,
        size -> Int8,
        content -> Bytea,
        is_article -> Bool,
        extraction_error -> Nullable<Text>,
    }
}

diesel::table! {
    correspondence (id) {
        id -> Int8,
        submission_id -> Int8,
        direction -> Text,
        inbound_message_id -> Nullable<Int8>,
        subject -> Nullable<Text>,
        body_text -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    inbound_messages (id) {
        id -> Int8,
        received_at -> Timestamptz,
        outcome -> Text,
        outcome_detail -> Nullable<Text>,
        dedup_key -> Nullable<Text>,
        duplicate_of -> Nullable<Int8>,
        message_id -> Nullable<Text>,
        sender_email -> Nullable<Text>,
        sender_name -> Nullable<Text>,
        subject -> Nullable<Text>,
        raw -> Bytea,
        raw_size -> Int8,
        raw_sha256 -> Text,
        submission_id -> Nullable<Int8>,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Int4,
        last_number -> Int4,
    }
}

diesel::table! {
    submission_revisions (id) {
        id -> Int8,
        submission_id -> Int8,
        number -> Int4,
        title -> Text,
        body_text -> Text,
        body_html -> Text,
        source -> Text,
        inbound_message_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    submission_thread_ids (message_id, submission_id) {
        message_id -> Text,
        submission_id -> Int8,
    }
}

diesel::table! {
    submissions (id) {
        id -> Int8,
        reference -> Text,
        state -> Text,
        title -> Text,
        author_name -> Nullable<Text>,
        author_email -> Text,
        received_at -> Timestamptz,
        message_id -> Nullable<Text>,
        body_text -> Text,
        body_html -> Text,
        cover_note -> Nullable<Text>,
        word_count -> Int4,
        auth_verdict -> Text,
        suspicious -> Bool,
        inbound_message_id -> Int8,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(attachments -> inbound_messages (inbound_message_id));
diesel::joinable!(attachments -> submissions (submission_id));
diesel::joinable!(correspondence -> inbound_messages (inbound_message_id));
diesel::joinable!(correspondence -> submissions (submission_id));
diesel::joinable!(submission_revisions -> inbound_messages (inbound_message_id));
diesel::joinable!(submission_revisions -> submissions (submission_id));
diesel::joinable!(submission_thread_ids -> submissions (submission_id));

diesel::allow_tables_to_appear_in_same_query!(
    attachments,
    correspondence,
    inbound_messages,
    reference_counters,
    submission_revisions,
    submission_thread_ids,
    submissions,
);
