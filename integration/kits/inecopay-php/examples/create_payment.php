<?php
// Create a payment and send the buyer to the Inecopay payment form.
require __DIR__ . '/../src/Inecopay/Client.php';

$client = new Inecopay\Client(getenv('INECOPAY_SECRET_KEY'));
$payment = $client->createPayment([
    'amount' => 1500000,            // 15 000.00 AMD in minor units
    'currency' => 'AMD',
    'order_id' => 'order-1001',
    'description' => 'Order 1001',
    'payment_methods' => ['card', 'idram'],
    'expires_in' => 600,            // the invoice lives 10 minutes
    'delivery' => ['enabled' => true],
], 'order-1001');

header('Location: ' . $payment['payment_url']);
