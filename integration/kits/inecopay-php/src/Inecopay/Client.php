<?php
/**
 * A minimal client of the Inecopay HTTP API (v1), with no dependency but ext-curl and ext-json.
 */

namespace Inecopay;

final class ApiError extends \RuntimeException
{
    /** @var array<string, mixed> */
    public $error;

    /** @param array<string, mixed> $error */
    public function __construct(int $status, array $error)
    {
        parent::__construct(($error['message'] ?? 'Inecopay API error') . " (HTTP $status)", $status);
        $this->error = $error;
    }
}

final class Client
{
    /** @var string */
    private $secretKey;
    /** @var string */
    private $baseUrl;
    /** @var int */
    private $timeout;

    public function __construct(string $secretKey, string $baseUrl = 'https://portal.inecopay.am/api/v1', int $timeout = 15)
    {
        if (strpos($secretKey, 'sk_test_') !== 0 && strpos($secretKey, 'sk_live_') !== 0) {
            throw new \InvalidArgumentException('Use a secret key: sk_test_… or sk_live_…');
        }
        $this->secretKey = $secretKey;
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->timeout = $timeout;
    }

    /**
     * Create a payment. Amounts are integers in minor units (15000.00 AMD is 1500000).
     * Pass your order id as $idempotencyKey so that a retried request creates one payment.
     *
     * @param array<string, mixed> $params
     * @return array<string, mixed> the payment; send the buyer to its payment_url
     */
    public function createPayment(array $params, ?string $idempotencyKey = null): array
    {
        return $this->request('POST', '/payments', $params, $idempotencyKey);
    }

    /** @return array<string, mixed> */
    public function getPayment(string $paymentId): array
    {
        return $this->request('GET', '/payments/' . rawurlencode($paymentId));
    }

    /** @return array<string, mixed> */
    public function refund(string $paymentId, ?int $amount = null, ?string $idempotencyKey = null): array
    {
        $body = $amount === null ? [] : ['amount' => $amount];
        return $this->request('POST', '/payments/' . rawurlencode($paymentId) . '/refunds', $body, $idempotencyKey);
    }

    /**
     * @param array<string, mixed>|null $body
     * @return array<string, mixed>
     */
    private function request(string $method, string $path, ?array $body = null, ?string $idempotencyKey = null): array
    {
        $headers = [
            'Authorization: Bearer ' . $this->secretKey,
            'Accept: application/json',
        ];
        $curl = curl_init($this->baseUrl . $path);
        curl_setopt($curl, CURLOPT_CUSTOMREQUEST, $method);
        curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
        curl_setopt($curl, CURLOPT_TIMEOUT, $this->timeout);
        if ($method === 'POST') {
            $headers[] = 'Content-Type: application/json';
            if ($idempotencyKey !== null) {
                $headers[] = 'Idempotency-Key: ' . $idempotencyKey;
            }
            curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body ?? new \stdClass(), JSON_UNESCAPED_UNICODE));
        }
        curl_setopt($curl, CURLOPT_HTTPHEADER, $headers);
        $raw = curl_exec($curl);
        if ($raw === false) {
            $message = curl_error($curl);
            curl_close($curl);
            throw new \RuntimeException('Inecopay API unreachable: ' . $message);
        }
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        curl_close($curl);
        $data = json_decode((string) $raw, true);
        if (!is_array($data)) {
            throw new \RuntimeException("Inecopay API answered HTTP $status without JSON");
        }
        if ($status >= 400) {
            throw new ApiError($status, $data['error'] ?? []);
        }
        return $data;
    }
}
