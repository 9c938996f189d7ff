"""The SSRF corpus: every internal form is denied; public forms pass (SPEC §5.4). No connection is made here."""

import pytest

from goclaw_actors.tools.errors import PolicyDenied
from goclaw_actors.tools.url_guard import URL_DENIED, check_url, domain_allowed

DOMAINS = ["localhost", "example.com", ".safe.com", "internal.example.net", "mixed.example.net", "github.com"]
NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "www.safe.com": ["93.184.216.35"],
    "internal.example.net": ["10.1.2.3"],
    "mixed.example.net": ["93.184.216.36", "192.168.7.7"],  # every answer is checked, not only the first
    "github.com": ["140.82.121.3"],
}


def resolver(host, port):
    if host not in NAMES:
        raise OSError(f"unknown test host {host}")
    return NAMES[host]


DENIED = [
    # loopback, in every spelling
    "http://127.0.0.1/", "http://127.0.0.1:8080/x", "http://127.1/", "http://127.000.000.001/", "http://2130706433/",
    "http://0x7f000001/", "http://017700000001/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.0.0.1./",
    "http://%31%32%37.0.0.1/", "http://localhost/", "http://LOCALHOST./", "http://ｌｏｃａｌｈｏｓｔ/",
    "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/",
    # IPv6 forms carrying an internal IPv4 address
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/",
    # unspecified
    "http://0.0.0.0/", "http://0/", "http://[::]/",
    # each private range, both ends
    "http://10.0.0.1/", "http://10.255.255.254/", "http://172.16.0.1/", "http://172.31.255.254/",
    "http://192.168.0.1/", "http://192.168.255.254/", "http://[fc00::1]/", "http://[fd12:3456:789a::1]/",
    # link-local and cloud metadata
    "http://169.254.1.1/", "http://169.254.169.254/latest/meta-data/", "http://169.254.169.254./",
    "http://2852039166/", "http://0xa9fea9fe/", "http://0251.0376.0251.0376/", "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/", "http://100.100.100.200/", "http://[fd00:ec2::254]/",
    # CGNAT, multicast, reserved, broadcast, benchmarking, documentation
    "http://100.64.0.1/", "http://100.127.255.254/", "http://224.0.0.1/", "http://239.255.255.250/",
    "http://[ff02::1]/", "http://240.0.0.1/", "http://255.255.255.255/", "http://198.18.0.1/",
    "http://192.0.2.1/", "http://[2001:db8::1]/",
    # names resolving to internal addresses (test resolver), and partly internal answers
    "http://internal.example.net/", "http://mixed.example.net/",
    # not in allow_domains, or only a look-alike of an allowed one
    "http://evil.com/", "http://safe.com.evil.com/", "http://api.safe.com.evil.com/", "http://notsafe.com/",
    "http://example.com.attacker.net/", "http://github.com@evil.com/",
    # tricks and malformed URLs
    "http://github.com@127.0.0.1/", "http://127.0.0.1\\@github.com/", "http://127.0.0.1 /", "http://08.1.1.1/",
    "http:///path", "http://", "http://:80/", "http://[::1/", "http://example.com:99999/",
    # schemes other than http and https
    "file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.com/", "javascript:alert(1)",
    "dict://127.0.0.1:11211/", "//example.com/", "example.com",
]

PUBLIC = [
    "https://example.com/", "http://EXAMPLE.com./page?q=1", "https://www.safe.com/x", "http://93.184.216.34/",
    "http://134744072/", "https://[2606:4700:4700::1111]/", "http://8.8.8.8:8080/path", "https://github.com/a/b",
]


@pytest.mark.parametrize("url", DENIED)
def test_the_ssrf_corpus_is_denied(url):
    with pytest.raises(PolicyDenied) as denied:
        check_url(url, DOMAINS, allow_loopback=False, resolve=resolver)
    assert denied.value.reason == URL_DENIED
    assert str(denied.value).startswith("url denied: ")


@pytest.mark.parametrize("url", PUBLIC)
def test_public_forms_pass_and_name_the_checked_addresses(url):
    vetted = check_url(url, DOMAINS, allow_loopback=False, resolve=resolver)
    assert vetted.addresses and vetted.scheme in ("http", "https")


def test_a_name_is_vetted_with_all_its_addresses_and_keeps_its_host_header():
    vetted = check_url("http://Example.COM.:8080/x", DOMAINS, allow_loopback=False, resolve=resolver)
    assert vetted.host == "example.com" and vetted.addresses == tuple(NAMES["example.com"])
    assert vetted.host_header == "example.com:8080"
    assert check_url("https://[2606:4700:4700::1111]/", [], False).host_header == "[2606:4700:4700::1111]"


def test_non_dotted_forms_are_normalised_to_the_address():
    assert check_url("http://134744072/", [], False).host == "8.8.8.8"
    assert check_url("http://0x08080808/", [], False).addresses == ("8.8.8.8",)


def test_allow_loopback_permits_loopback_only():
    for url in ("http://127.0.0.1:9/", "http://localhost/", "http://[::1]/", "http://[::ffff:127.0.0.1]/"):
        assert check_url(url, DOMAINS, allow_loopback=True, resolve=resolver)
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://0.0.0.0/", "http://internal.example.net/"):
        with pytest.raises(PolicyDenied):
            check_url(url, DOMAINS, allow_loopback=True, resolve=resolver)


def test_ip_literals_skip_the_domain_list_but_names_do_not():
    assert check_url("http://93.184.216.34/", [], False)
    with pytest.raises(PolicyDenied, match="not in allow_domains"):
        check_url("https://example.com/", [], False, resolve=resolver)


def test_domain_matching_is_on_whole_labels():
    assert domain_allowed("safe.com", [".safe.com"]) and domain_allowed("a.b.safe.com", ["*.safe.com"])
    assert domain_allowed("wikipedia.org", ["wikipedia.org"])
    assert not domain_allowed("en.wikipedia.org", ["wikipedia.org"])
    assert not domain_allowed("notsafe.com", [".safe.com"])
    assert not domain_allowed("safe.com.evil.com", ["safe.com", ".safe.com"])
