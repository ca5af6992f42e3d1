-- 0021: the language an account reads (issue 24). Set at registration from
-- the request's Accept-Language (the language hcpd negotiated: a tag it
-- ships, e.g. "nl" or "zh-CN"), changed by PATCH /v1/me {"locale": ...};
-- every mail to the account is written in it when the mailer sends.
-- NULL (accounts made before this migration): English.
ALTER TABLE accounts ADD COLUMN locale text
    CHECK (locale IS NULL OR locale ~ '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$' AND length(locale) < 16);
