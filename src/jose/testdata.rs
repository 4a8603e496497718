//! Test keys made once with OpenSSL 3.0 for the jose unit tests; they protect nothing.
//! `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` (then `openssl rsa -traditional`
//! for the PKCS#1 form of the same key), `-algorithm EC -pkeyopt ec_paramgen_curve:P-256|P-384`,
//! and `-algorithm ED25519` (PKCS#8 v1, no public key).

/// RSA 2048, PKCS#8 `PRIVATE KEY`.
pub(crate) const RSA_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC2SbAcBb8W/Ugt\n\
q1R6YVT4BxHiIi7Z2Nluh2Qr1HC76o56u4XNw9tzq7d9JQ3orNSxBtJvVKVNs7ZK\n\
9QdzwMT0cQJm8suE3RMJfloiTISviC5Op93VbLp5oj6fdD9nNIoutVvtc1/utlnM\n\
01BQBzMm8tH45y59KS/nzFmvmkKwpax61EtrKp6y0PLeRJ05acl0/cM8UA59i4/X\n\
CIeHjpkhmft3Tpd+jnC4B+ABxCYJzNd/v/lr5ohHEJzldnP8wMhhNYoFPPkOgY3h\n\
4NZTD9tDXc8OuX/BN7ET3Xzgk6rqtv0+0xrhgBSc7uW8OepRj4pHDpuvG/8ibQLH\n\
PJLsWNePAgMBAAECggEAHmzFJqA06UbkFa9LfdOiBXXUn8w5yqV9gQu7Be/C0zKO\n\
jmCfMB1ZEwDdstcM78FtDJEJbYiQwJvWuMMV99V8aho0nu82Vdo6U7LRo3jnCo8t\n\
v3YYOgeYRjX0wtN5w6WKzMn7anH/2I16Boxcksbo3D7aGfOoGD7YHpXGgF88c1Qj\n\
a5pzx5jFJlP3/CgqvUYNb6t83ACFTAP4tf2JJWas//zUqU+gAB1fTyTTivo76LEi\n\
NGoIYTN6C9BuSHhf67wE5FApbUH4TTeSMMiJ67MD+qRYIEvjqErBFBzfmbhhU4N/\n\
ArlgR0jqqfJV0+9p0KaQ/0I0QYIQZBEIOyo2FnHNrQKBgQDlhcq8ZqShaKFtRIf1\n\
DSVDQwfaG8rwPog1hHVrooEb6vVArMSNyx9XYOcjUkwFeIDbuy63Lk337Zae03q9\n\
/eTEHK+7dOxektRA/IzzaY4hOM6Qg4V9ziFCtF8oM2Gb2D1QjmFuS1lwqo/9B6S4\n\
eAcmsdHJGVTP8WlbCr/E/KJ+ywKBgQDLUPg1KJNP3fP50drrkJ2I5570OHbztZS+\n\
As86w/nVGgxbcRKFLyvxt7wS66UijAGw9QrYW3xVV6DRFEXqHN0+DhWvuz1LSvEm\n\
RYjPDHMkYibMsZupwrnoe/oMfGxGMKiKJvBhjQfareFUqOYVVLthxfWI89Rc6EQd\n\
B8c1zzsNzQKBgQC8dL2BMjpM+a9KG7ISaIfHEZu534Yi+wU2BBuxlA20kZhsUS9W\n\
SYjjYwKGAwW+nDIZuTjjWZbVUnSQ1o36wCR9ThyQq7GE+cRj07ocBviXmKArEoKi\n\
SIUQ0y8qv/2OS+AUa8PeHupCUxnFJeh/OraMdAcPusfjsZHTGiFZqiH2PwKBgDzs\n\
WFPlgq7t/UugnI712J7LeRAJU2uXv6hoQxyC2PwIQCeubDRIfEyEF/E7d1Iwzdju\n\
tH88erc/+Mpt3r1WRN1xbwIngyhqnnQvZd1VB7OhTasMlW57ESYe8ECJkBBASGCN\n\
Zn50uiPG8rxhmABQUY3subR+C+aDGtXwHLt9C18JAoGBAJhx0wf7fpdGxl17+dQi\n\
2OEyh/gUlfheGKKAAsmbtIBlzA+puhDA46/O9yLHb5Qz+0vEIvh6VHdYDN2VzpZr\n\
bER5bjAnVBA1BDSnotbhsdhJqRDRYrsOucllA1kZkl7oueQHsvPIk98FXQ4QKtyu\n\
C0iOdzvuZa7GcEtwxuIzF0xS\n\
-----END PRIVATE KEY-----\n";

/// The same RSA key, PKCS#1 `RSA PRIVATE KEY`.
pub(crate) const RSA_PKCS1: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIEpAIBAAKCAQEAtkmwHAW/Fv1ILatUemFU+AcR4iIu2djZbodkK9Rwu+qOeruF\n\
zcPbc6u3fSUN6KzUsQbSb1SlTbO2SvUHc8DE9HECZvLLhN0TCX5aIkyEr4guTqfd\n\
1Wy6eaI+n3Q/ZzSKLrVb7XNf7rZZzNNQUAczJvLR+OcufSkv58xZr5pCsKWsetRL\n\
ayqestDy3kSdOWnJdP3DPFAOfYuP1wiHh46ZIZn7d06Xfo5wuAfgAcQmCczXf7/5\n\
a+aIRxCc5XZz/MDIYTWKBTz5DoGN4eDWUw/bQ13PDrl/wTexE9184JOq6rb9PtMa\n\
4YAUnO7lvDnqUY+KRw6brxv/Im0CxzyS7FjXjwIDAQABAoIBAB5sxSagNOlG5BWv\n\
S33TogV11J/MOcqlfYELuwXvwtMyjo5gnzAdWRMA3bLXDO/BbQyRCW2IkMCb1rjD\n\
FffVfGoaNJ7vNlXaOlOy0aN45wqPLb92GDoHmEY19MLTecOliszJ+2px/9iNegaM\n\
XJLG6Nw+2hnzqBg+2B6VxoBfPHNUI2uac8eYxSZT9/woKr1GDW+rfNwAhUwD+LX9\n\
iSVmrP/81KlPoAAdX08k04r6O+ixIjRqCGEzegvQbkh4X+u8BORQKW1B+E03kjDI\n\
ieuzA/qkWCBL46hKwRQc35m4YVODfwK5YEdI6qnyVdPvadCmkP9CNEGCEGQRCDsq\n\
NhZxza0CgYEA5YXKvGakoWihbUSH9Q0lQ0MH2hvK8D6INYR1a6KBG+r1QKzEjcsf\n\
V2DnI1JMBXiA27suty5N9+2WntN6vf3kxByvu3TsXpLUQPyM82mOITjOkIOFfc4h\n\
QrRfKDNhm9g9UI5hbktZcKqP/QekuHgHJrHRyRlUz/FpWwq/xPyifssCgYEAy1D4\n\
NSiTT93z+dHa65CdiOee9Dh287WUvgLPOsP51RoMW3EShS8r8be8EuulIowBsPUK\n\
2Ft8VVeg0RRF6hzdPg4Vr7s9S0rxJkWIzwxzJGImzLGbqcK56Hv6DHxsRjCoiibw\n\
YY0H2q3hVKjmFVS7YcX1iPPUXOhEHQfHNc87Dc0CgYEAvHS9gTI6TPmvShuyEmiH\n\
xxGbud+GIvsFNgQbsZQNtJGYbFEvVkmI42MChgMFvpwyGbk441mW1VJ0kNaN+sAk\n\
fU4ckKuxhPnEY9O6HAb4l5igKxKCokiFENMvKr/9jkvgFGvD3h7qQlMZxSXofzq2\n\
jHQHD7rH47GR0xohWaoh9j8CgYA87FhT5YKu7f1LoJyO9diey3kQCVNrl7+oaEMc\n\
gtj8CEAnrmw0SHxMhBfxO3dSMM3Y7rR/PHq3P/jKbd69VkTdcW8CJ4Moap50L2Xd\n\
VQezoU2rDJVuexEmHvBAiZAQQEhgjWZ+dLojxvK8YZgAUFGN7Lm0fgvmgxrV8By7\n\
fQtfCQKBgQCYcdMH+36XRsZde/nUItjhMof4FJX4XhiigALJm7SAZcwPqboQwOOv\n\
zvcix2+UM/tLxCL4elR3WAzdlc6Wa2xEeW4wJ1QQNQQ0p6LW4bHYSakQ0WK7DrnJ\n\
ZQNZGZJe6LnkB7LzyJPfBV0OECrcrgtIjnc77mWuxnBLcMbiMxdMUg==\n\
-----END RSA PRIVATE KEY-----\n";

/// EC P-256, PKCS#8 with the public key and curve parameters.
pub(crate) const EC_P256_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgU2ES+HrlkgH60c0U\n\
ka3wvOx40WK2DA9QQpwnFFeH8RmhRANCAATf8JlRGTAr6BOjYTok3j4/9qC8vqW8\n\
V1xABchmwlWBdiP0UzDwqlPYBXRjIgckd/YU+Hsv3Os2Y+MTmpljXwmA\n\
-----END PRIVATE KEY-----\n";

/// EC P-384, PKCS#8 with the public key and curve parameters.
pub(crate) const EC_P384_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCoYt3dGNdt5tuqzYDd\n\
rqDMA8GknyC/DNpAb991xmJEL0Xv5triwVnWyLUJNdmaWzGhZANiAAT5uiW7CGIN\n\
HPySt6hi2kp7ZT9O2jyAogNSeRYC3iklA5x5sbCAt2ma/im+vYotMn+X9bXoR9dP\n\
hWi03RsG4/SmxdKktXiRloDas4E+XS6hXEvk4hhzrZsE+2uJJzrbi9g=\n\
-----END PRIVATE KEY-----\n";

/// Ed25519, PKCS#8 v1.
pub(crate) const ED25519_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIImNNO9pbFmVXb/sROB6/gXab4SzkLfNx0A4V0O49krr\n\
-----END PRIVATE KEY-----\n";

/// RFC 7638 thumbprints of the keys above, computed outside this crate (Python hashlib over the
/// public key OpenSSL printed), so that key loading is checked against an independent source.
pub(crate) const RSA_JKT: &str = "hxaCXavbbR_hrGhZyWqjxHz3wSxcz3mXANcuVLYsDHs";
pub(crate) const EC_P256_JKT: &str = "gUbg2Xr2q8w96fMCGAiQNrHRfHS7cWF6CQlFJweVeCM";
pub(crate) const EC_P384_JKT: &str = "3k2KBsmU2bP0LVwR2LYXLP9-AkzlVUg8qKFIRe3twh0";
pub(crate) const ED25519_JKT: &str = "C_p3kBaVFjMAOKc4t0gDFTatUaCjst1uSGW7s36pQIU";
