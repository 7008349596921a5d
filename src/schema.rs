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
    author_links (id) {
        id -> Int8,
        submission_id -> Int8,
        token_sha256 -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
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
    desk_sessions (token_sha256) {
        token_sha256 -> Text,
        user_id -> Int8,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        last_visit_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    imap_mailboxes (id) {
        id -> Int8,
        mailbox -> Text,
        uid_validity -> Nullable<Int8>,
        last_uid -> Int8,
        resyncs -> Int4,
        active_poller -> Nullable<Text>,
        active_since -> Nullable<Timestamptz>,
        last_success_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<Timestamptz>,
        backlog -> Int4,
        updated_at -> Timestamptz,
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
        forwarded_from -> Nullable<Jsonb>,
        dismissed_at -> Nullable<Timestamptz>,
        dismissed_by -> Nullable<Int8>,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> Int4,
        last_failure_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        kind -> Text,
        topic -> Text,
        submission_id -> Nullable<Int8>,
        payload -> Jsonb,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        message_id -> Nullable<Text>,
        recipient -> Nullable<Text>,
    }
}

diesel::table! {
    proposed_revisions (id) {
        id -> Int8,
        submission_id -> Int8,
        inbound_message_id -> Int8,
        body_text -> Text,
        body_html -> Text,
        word_count -> Int4,
        sender_verdict -> Text,
        status -> Text,
        decided_by -> Nullable<Int8>,
        decided_at -> Nullable<Timestamptz>,
        revision_number -> Nullable<Int4>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Text,
        family -> Text,
        session_epoch -> Int4,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    submission_fingerprints (submission_id) {
        submission_id -> Int8,
        received_at -> Timestamptz,
        signature -> Array<Int4>,
        bands -> Array<Int8>,
    }
}

diesel::table! {
    submission_history (id) {
        id -> Int8,
        submission_id -> Int8,
        action -> Text,
        from_state -> Text,
        to_state -> Text,
        actor_id -> Nullable<Int8>,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    submission_corrections (id) {
        id -> Int8,
        submission_id -> Int8,
        body -> Text,
        author_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    submission_notes (id) {
        id -> Int8,
        submission_id -> Int8,
        author_id -> Int8,
        body -> Text,
        created_at -> Timestamptz,
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
        editor_id -> Nullable<Int8>,
        sender_verdict -> Nullable<Text>,
    }
}

diesel::table! {
    submission_similarities (submission_id, similar_id) {
        submission_id -> Int8,
        similar_id -> Int8,
        similarity -> Float4,
    }
}

diesel::table! {
    submission_thread_ids (message_id, submission_id) {
        message_id -> Text,
        submission_id -> Int8,
    }
}

// `submissions.search` (the tsvector a trigger keeps, which the editors'
// search reads through SQL text, `submissions::store`) is left out: diesel's
// tables hold 32 columns without its slower 64-column build.
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
        standfirst -> Nullable<Text>,
        slug -> Nullable<Text>,
        author_bio -> Nullable<Text>,
        tags -> Array<Nullable<Text>>,
        assignee_id -> Nullable<Int8>,
        publish_at -> Nullable<Timestamptz>,
        revised_at -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        retracted_at -> Nullable<Timestamptz>,
        exclusive_confirmed -> Nullable<Bool>,
        disclosure -> Nullable<Text>,
        declared_at -> Nullable<Timestamptz>,
        respond_by -> Timestamptz,
        held_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        session_epoch -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        queue_seen_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    wordpress_posts (submission_id) {
        submission_id -> Int8,
        post_id -> Int8,
        link -> Text,
        status -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(attachments -> inbound_messages (inbound_message_id));
diesel::joinable!(attachments -> submissions (submission_id));
diesel::joinable!(author_links -> submissions (submission_id));
diesel::joinable!(correspondence -> inbound_messages (inbound_message_id));
diesel::joinable!(correspondence -> submissions (submission_id));
diesel::joinable!(desk_sessions -> users (user_id));
diesel::joinable!(inbound_messages -> users (dismissed_by));
diesel::joinable!(outbox -> submissions (submission_id));
diesel::joinable!(proposed_revisions -> inbound_messages (inbound_message_id));
diesel::joinable!(proposed_revisions -> submissions (submission_id));
diesel::joinable!(proposed_revisions -> users (decided_by));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(submission_fingerprints -> submissions (submission_id));
diesel::joinable!(submission_history -> submissions (submission_id));
diesel::joinable!(submission_history -> users (actor_id));
diesel::joinable!(submission_corrections -> submissions (submission_id));
diesel::joinable!(submission_corrections -> users (author_id));
diesel::joinable!(submission_notes -> submissions (submission_id));
diesel::joinable!(submission_notes -> users (author_id));
diesel::joinable!(submission_revisions -> inbound_messages (inbound_message_id));
diesel::joinable!(submission_revisions -> submissions (submission_id));
diesel::joinable!(submission_revisions -> users (editor_id));
diesel::joinable!(submission_thread_ids -> submissions (submission_id));
diesel::joinable!(submissions -> users (assignee_id));
diesel::joinable!(wordpress_posts -> submissions (submission_id));

diesel::allow_tables_to_appear_in_same_query!(
    attachments,
    author_links,
    correspondence,
    desk_sessions,
    imap_mailboxes,
    inbound_messages,
    login_failures,
    outbox,
    proposed_revisions,
    refresh_tokens,
    submission_fingerprints,
    submission_history,
    submission_corrections,
    submission_notes,
    submission_revisions,
    submission_similarities,
    submission_thread_ids,
    submissions,
    users,
    wordpress_posts,
);
