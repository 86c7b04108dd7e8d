<?php
// The result (webhook) URL of your shop: check the signature, then act on the event.
require __DIR__ . '/../src/Inecopay/Webhook.php';

$payload = file_get_contents('php://input');
$header = $_SERVER['HTTP_INECOPAY_SIGNATURE'] ?? '';

if (!Inecopay\Webhook::verify($payload, $header, getenv('INECOPAY_WEBHOOK_SECRET'))) {
    http_response_code(400);
    exit('bad signature');
}

$event = json_decode($payload, true);
if ($event['type'] === 'payment.succeeded') {
    // Mark $event['data']['order_id'] as paid. Events can arrive more than once:
    // make this idempotent by the event id, $event['id'].
}
http_response_code(200);
