# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.file_tree through ansible: a controller directory's chosen files staged in one task."""

from __future__ import annotations

import stat

import pytest


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / 'src'
    (src / 'pkg').mkdir(parents=True)
    (src / 'Dockerfile').write_text('FROM scratch\n')
    (src / 'pkg' / 'a.py').write_text('A = 1\n')
    (src / 'pkg' / 'b.py').write_text('B = 2\n')
    (src / 'pkg' / 'notes.txt').write_text('not staged\n')
    dest = tmp_path / 'dest'
    return src, dest, {'src': str(src), 'dest': str(dest), 'include': ['Dockerfile', 'pkg/*.py']}


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_four_way(run_module, tree):
    src, dest, args = tree
    checked = run_module('file_tree', args, check=True, diff=True)
    assert checked['changed'] is True and checked['written'] == ['Dockerfile', 'pkg/a.py', 'pkg/b.py']
    assert 'pkg/a.py 0644' in checked['diff']['after'] and checked['diff']['before'] == ''
    assert not dest.exists()

    real = run_module('file_tree', args)
    assert real['changed'] is True and real['directories'] == ['.', 'pkg'], real
    assert (dest / 'pkg' / 'a.py').read_text() == 'A = 1\n' and not (dest / 'pkg' / 'notes.txt').exists()
    assert mode(dest) == mode(dest / 'pkg') == 0o700 and mode(dest / 'Dockerfile') == 0o644

    again = run_module('file_tree', args)
    assert again['changed'] is False and again['written'] == again['removed'] == [], again
    assert run_module('file_tree', args, check=True)['changed'] is False


def test_changes_are_found_by_contents_and_mode_and_stale_files_removed(run_module, tree):
    src, dest, args = tree
    run_module('file_tree', args)
    (src / 'pkg' / 'b.py').write_text('B = 3\n')
    (dest / 'pkg' / 'a.py').chmod(0o600)
    (dest / 'pkg' / 'old.py').write_text('shipped by an earlier release\n')   # matches pkg/*.py
    (dest / 'ca-bundle.crt').write_text('staged by another task\n')           # matches no pattern

    checked = run_module('file_tree', args, check=True, diff=True)
    assert (checked['changed'], checked['written'], checked['removed']) == (True, ['pkg/a.py', 'pkg/b.py'], ['pkg/old.py'])
    assert (dest / 'pkg' / 'old.py').exists()

    real = run_module('file_tree', args)
    assert (real['written'], real['removed']) == (['pkg/a.py', 'pkg/b.py'], ['pkg/old.py'])
    assert (dest / 'pkg' / 'b.py').read_text() == 'B = 3\n' and mode(dest / 'pkg' / 'a.py') == 0o644
    assert not (dest / 'pkg' / 'old.py').exists() and (dest / 'ca-bundle.crt').exists()
    assert run_module('file_tree', args)['changed'] is False


@pytest.mark.parametrize('include, message', [
    (['pkg/*.sh'], "include pattern 'pkg/*.sh' matches no file under"),
    (['../etc/passwd'], "include pattern '../etc/passwd' must be relative to src"),
])
def test_bad_patterns_fail_with_one_line_and_write_nothing(run_module, tree, include, message):
    src, dest, args = tree
    result = run_module('file_tree', dict(args, include=include))
    assert result['failed'] and message in result['msg'], result
    assert not dest.exists()
