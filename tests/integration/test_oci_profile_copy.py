# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.oci_profile_copy run by ansible on this host: a profile and its key copied for a container,
four ways (check, real, idempotent, idempotent check), and each bad profile as one clear line."""

from __future__ import annotations

import configparser
import stat

import pytest

KEY = b'-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n'


@pytest.fixture
def host_config(tmp_path):
    oci = tmp_path / 'host' / '.oci'
    oci.mkdir(parents=True)
    (oci / 'api_key.pem').write_bytes(KEY)
    (oci / 'config').write_text(
        '[DEFAULT]\nregion=us-ashburn-1\ntenancy=ocid1.tenancy.oc1..t\n'
        '[BUILD]\nuser=ocid1.user.oc1..u\nfingerprint=aa:bb\nkey_file=%s\npass_phrase=s3cret\n'
        '[SESSION]\nfingerprint=aa:bb\nkey_file=%s\nsecurity_token_file=%s\n'
        '[NOKEY]\nuser=ocid1.user.oc1..u\nfingerprint=aa:bb\n'
        '[GONE]\nuser=ocid1.user.oc1..u\nfingerprint=aa:bb\nkey_file=%s\n'
        % (oci / 'api_key.pem', oci / 'api_key.pem', oci / 'token', oci / 'missing.pem'))
    return oci / 'config'


def args(host_config, dest, **more):
    return dict(dict(config_file=str(host_config), profile='BUILD', dest=str(dest), owner='10001', group='10001',
                     comment=['for the test container']), **more)


def test_four_ways(run_module, host_config, tmp_path):
    dest = tmp_path / 'etc' / 'oci'
    check = run_module('oci_profile_copy', args(host_config, dest), check=True, diff=True)
    assert check['changed'] and not dest.exists()
    real = run_module('oci_profile_copy', args(host_config, dest), diff=True)
    assert real['changed'] and real['checksum'] == check['checksum'], real
    again = run_module('oci_profile_copy', args(host_config, dest))
    again_check = run_module('oci_profile_copy', args(host_config, dest), check=True)
    assert not again['changed'] and not again_check['changed']
    assert again['checksum'] == real['checksum'] == again_check['checksum']

    assert stat.S_IMODE(dest.stat().st_mode) == 0o700 and dest.stat().st_uid == 10001
    for path in dest.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_uid == path.stat().st_gid == 10001
    assert sorted(p.name for p in dest.iterdir()) == ['api_key.pem', 'config']
    assert (dest / 'api_key.pem').read_bytes() == KEY
    text = (dest / 'config').read_text()
    assert text.startswith('# for the test container\n[DEFAULT]\n')
    copied = configparser.ConfigParser(interpolation=None)
    copied.read_string(text)
    assert copied.sections() == []
    assert dict(copied['DEFAULT']) == {'fingerprint': 'aa:bb', 'key_file': '~/.oci/api_key.pem', 'pass_phrase': 's3cret',
                                       'region': 'us-ashburn-1', 'tenancy': 'ocid1.tenancy.oc1..t',
                                       'user': 'ocid1.user.oc1..u'}
    # The diff shows the profile, never the pass phrase.
    assert 'pass_phrase=(hidden)' in real['diff']['after'] and 's3cret' not in str(real['diff'])


def test_a_changed_profile_or_key_changes_the_checksum(run_module, host_config, tmp_path):
    dest = tmp_path / 'oci'
    first = run_module('oci_profile_copy', args(host_config, dest))
    (host_config.parent / 'api_key.pem').write_bytes(KEY + b'\n')
    second = run_module('oci_profile_copy', args(host_config, dest))
    assert second['changed'] and second['checksum'] != first['checksum']
    (dest / 'config').chmod(0o644)
    third = run_module('oci_profile_copy', args(host_config, dest))
    assert third['changed'] and third['checksum'] == second['checksum']
    assert stat.S_IMODE((dest / 'config').stat().st_mode) == 0o600


@pytest.mark.parametrize('profile,kind,words', [
    ('ADMIN', 'missing', "Profile 'ADMIN' not found in the OCI config file"),
    ('SESSION', 'format', 'is a session profile (security_token_file): a container needs an API key profile'),
    ('NOKEY', 'format', "Profile 'NOKEY' of"),
    ('GONE', 'missing', 'missing.pem'),
])
def test_a_bad_profile_is_one_line_and_writes_nothing(run_module, host_config, tmp_path, profile, kind, words):
    dest = tmp_path / 'oci'
    result = run_module('oci_profile_copy', args(host_config, dest, profile=profile))
    assert result.get('failed') and result['error_kind'] == kind, result
    assert words in result['msg'] and '\n' not in result['msg']
    assert not dest.exists()
