<?php
/**
 * Inecopay webhook signature check.
 *
 * Every webhook carries the header
 *   Inecopay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * While a rolled signing secret is in its grace period the header holds two v1 values;
 * the request is genuine when any of them matches.
 */

namespace Inecopay;

final class Webhook
{
    /** How far the signature time may be from now, in seconds. */
    public const DEFAULT_TOLERANCE = 300;

    /**
     * @param string          $payload   the raw request body, exactly as received
     * @param string          $header    the Inecopay-Signature header value
     * @param string|string[] $secrets   the shop's webhook signing secret(s), whsec_…
     * @param int             $tolerance seconds; 0 turns the time check off
     * @param int|null        $now       unix time to check against (default: time())
     */
    public static function verify(
        string $payload,
        string $header,
        $secrets,
        int $tolerance = self::DEFAULT_TOLERANCE,
        ?int $now = null
    ): bool {
        $timestamp = null;
        $signatures = [];
        foreach (explode(',', $header) as $item) {
            $pair = explode('=', trim($item), 2);
            if (count($pair) !== 2) {
                continue;
            }
            if ($pair[0] === 't') {
                $timestamp = $pair[1];
            } elseif ($pair[0] === 'v1') {
                $signatures[] = $pair[1];
            }
        }
        if ($timestamp === null || !ctype_digit($timestamp) || !$signatures) {
            return false;
        }
        $now = $now ?? time();
        if ($tolerance > 0 && abs($now - (int) $timestamp) > $tolerance) {
            return false;
        }
        foreach ((array) $secrets as $secret) {
            $expected = hash_hmac('sha256', $timestamp . '.' . $payload, (string) $secret);
            foreach ($signatures as $signature) {
                if (hash_equals($expected, $signature)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The header value Inecopay would send for $payload at $timestamp (for your tests). */
    public static function sign(string $payload, string $secret, int $timestamp): string
    {
        return 't=' . $timestamp . ',v1=' . hash_hmac('sha256', $timestamp . '.' . $payload, $secret);
    }
}
