"""The mongodb replica set script, run by Node.js against a fake mongosh API: it initiates once,
then adds or removes members one per reconfiguration, and creates the application user once."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from konfiguru_generators.kinds.database.replicaset import CREATE_APP_USER_JS, RS_INIT_JS

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs node to run the mongosh script")

# A minimal stand-in for mongosh's globals. replSetReconfig refuses more than one voting change
# at a time, as MongoDB 4.4+ does.
HARNESS = """
const state = JSON.parse(process.env.STATE);
state.reconfigs = 0;
function database(name) {
  return {
    auth() {},
    getSiblingDB(other) { return database(other); },
    getUser(user) { return state.users[name + "/" + user] || null; },
    createUser(user) { state.users[name + "/" + user.user] = user.roles; },
    runCommand(command) {
      if (command.hello) return { setName: state.setName, isWritablePrimary: !!state.setName };
      if (command.replSetGetConfig) {
        return { config: { _id: state.setName, version: state.version,
                           members: state.members.map((m) => ({ ...m })) } };
      }
      if (command.replSetReconfig) {
        const next = command.replSetReconfig;
        const before = new Set(state.members.map((m) => m.host));
        const after = new Set(next.members.map((m) => m.host));
        const changes = [...before].filter((h) => !after.has(h)).length +
                        [...after].filter((h) => !before.has(h)).length;
        if (changes > 1 || next.version !== state.version + 1) return { ok: 0 };
        state.members = next.members; state.version = next.version; state.reconfigs += 1;
        return { ok: 1 };
      }
      throw new Error("unexpected command " + JSON.stringify(command));
    },
  };
}
const rs = { initiate(config) {
  state.setName = config._id; state.members = config.members; state.version = 1; } };
class Mongo { constructor(uri) { state.uri = uri; } getDB(name) { return database(name); } }
new Function("db", "rs", "Mongo", "print", "sleep", process.env.SCRIPT)(
  database(process.env.DB || "admin"), rs, Mongo, () => {}, () => {});
console.log(JSON.stringify(state));
"""


def run(script: str, state: dict[str, Any], members: int, database: str = "admin") -> Any:
    hosts = ",".join(f"db-{i}.db-headless:27017" for i in range(members))
    env = {
        "STATE": json.dumps(state),
        "SCRIPT": script,
        "DB": database,
        "MEMBERS": hosts,
        "REPLICA_SET": "rs0",
        "ROOT_PASSWORD": "p@ss",
        "KONFIGURU_APP_DATABASE": "shop",
        "KONFIGURU_APP_USER": "app",
        "KONFIGURU_APP_PASSWORD": "secret",
    }
    result = subprocess.run(
        [str(NODE), "-e", HARNESS], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _members(count: int) -> list[dict[str, Any]]:
    return [{"_id": i, "host": f"db-{i}.db-headless:27017"} for i in range(count)]


FRESH = {"setName": None, "members": [], "version": 0, "users": {}}


def test_a_fresh_set_is_initiated_with_every_member_and_gets_the_app_user() -> None:
    state = run(RS_INIT_JS, FRESH, 3)
    assert state["setName"] == "rs0"
    assert [m["host"] for m in state["members"]] == [m["host"] for m in _members(3)]
    assert state["users"] == {"shop/app": [{"role": "dbOwner", "db": "shop"}]}
    # The password is URL-encoded in the connection string.
    assert "root:p%40ss@" in state["uri"]


def test_an_initiated_set_is_left_alone() -> None:
    state = {**FRESH, "setName": "rs0", "members": _members(3), "version": 4}
    state["users"] = {"shop/app": ["existing"]}
    after = run(RS_INIT_JS, state, 3)
    assert after["version"] == 4 and after["reconfigs"] == 0
    assert after["users"] == {"shop/app": ["existing"]}


def test_scaling_up_adds_members_one_reconfiguration_at_a_time() -> None:
    after = run(RS_INIT_JS, {**FRESH, "setName": "rs0", "members": _members(3), "version": 1}, 5)
    assert after["reconfigs"] == 2 and after["version"] == 3
    assert {m["host"] for m in after["members"]} == {m["host"] for m in _members(5)}


def test_scaling_down_removes_members_one_reconfiguration_at_a_time() -> None:
    after = run(RS_INIT_JS, {**FRESH, "setName": "rs0", "members": _members(5), "version": 7}, 3)
    assert after["reconfigs"] == 2
    assert {m["host"] for m in after["members"]} == {m["host"] for m in _members(3)}


def test_the_single_server_init_script_creates_the_app_user_once() -> None:
    first = run(CREATE_APP_USER_JS, FRESH, 1, database="shop")
    assert first["users"] == {"shop/app": [{"role": "dbOwner", "db": "shop"}]}
    again = run(CREATE_APP_USER_JS, {**FRESH, "users": {"shop/app": ["kept"]}}, 1, "shop")
    assert again["users"] == {"shop/app": ["kept"]}
