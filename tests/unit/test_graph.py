"""`konfiguru graph`: resources, their children and declared connections, as SVG and Mermaid."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import kfgtest
from konfiguru_generators import graph

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = kfgtest.ROOT / "examples"


run_cli = kfgtest.run_cli


def example_resources() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(EXAMPLES.rglob("*.kfg.yaml")):
        for doc in kfgtest.documents(path):
            meta = doc["metadata"]
            found.append((doc["kind"], meta.get("namespace") or "", meta["name"]))
    return found


def test_the_svg_of_every_example_is_well_formed_and_names_every_resource(tmp_path: Path) -> None:
    target = tmp_path / "graph.svg"
    code, _, err = run_cli("graph", "-f", str(EXAMPLES), "-o", str(target))
    assert code == 0 and f"to {target}" in err
    root = ET.parse(target).getroot()
    assert root.tag == f"{SVG}svg"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    for kind, namespace, name in example_resources():
        where = f"{namespace}/{name}" if namespace else name
        assert f"{kind} {where}" in texts
    # Every box fits inside the picture.
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.attrib["x"]) + float(rect.attrib["width"]) <= width
        assert float(rect.attrib["y"]) + float(rect.attrib["height"]) <= height


def test_the_shop_graph_draws_each_declared_connection_once_with_its_labels() -> None:
    code, out, _ = run_cli("graph", "-f", str(EXAMPLES / "shop"))
    assert code == 0 and out.startswith("flowchart LR\n")
    assert [line for line in out.splitlines() if "-->" in line] == [
        '  App_shop_api -->|"connectTo"| Database_shop_orders_db',
        '  App_shop_web -->|"connectTo"| App_shop_api',
        '  App_shop_worker -->|"connectTo"| App_shop_api',
        '  App_shop_worker -->|"connectTo"| Database_shop_orders_db',
        '  internet -->|"shop.example.com"| App_shop_web',
    ]
    # The shop is self-contained: every node is defined by one of its files.
    assert "not in these sources" not in out


def test_a_gateway_route_is_drawn_from_the_internet_once_although_two_routes_carry_its_host() -> (
    None
):
    code, out, _ = run_cli("graph", "-f", str(EXAMPLES / "gateway" / "webshop.kfg.yaml"))
    assert code == 0
    assert [line for line in out.splitlines() if "-->" in line] == [
        '  internet -->|"shop.example.com"| App_shop_webshop'
    ]


def test_a_target_no_file_defines_is_a_dashed_node() -> None:
    code, out, _ = run_cli("graph", "-f", str(EXAMPLES / "batch"))
    assert code == 0
    # orders-db is declared in no file of examples/batch/: a dashed node says so.
    assert 'Database_shop_orders_db["Database shop/orders-db<br/>not in these sources"]' in out
    assert "class Database_shop_orders_db missing" in out


def test_a_database_with_connect_from_points_back_at_its_callers() -> None:
    db = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "Database",
        "metadata": {"name": "orders-db", "namespace": "shop"},
        "spec": {"engine": "postgres", "connectFrom": [{"app": "orders"}]},
    }
    app = {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": "orders", "namespace": "shop"},
        "spec": {"connectTo": [{"name": "orders-db", "engine": "postgres"}]},
    }
    built = graph.build([(db, []), (app, [])])
    assert built == graph.build([(app, []), (db, [])])
    assert built.edges == {
        ("App_shop_orders", "Database_shop_orders_db"): ["connectFrom", "connectTo"]
    }
    assert not any(node.missing for node in built.nodes.values())


def test_callers_are_drawn_left_of_what_they_call_even_in_a_cycle() -> None:
    def app(name: str, calls: str) -> dict:
        return {
            "kind": "App",
            "metadata": {"name": name},
            "spec": {"connectTo": [{"name": calls, "kind": "App"}]},
        }

    chain = graph.build([(app("a", "b"), []), (app("b", "c"), []), (app("c", "a"), [])])
    layers = graph._layers(chain)
    assert len(set(layers.values())) == 3  # a cycle still lays out, one column each
    svg = graph.svg(chain)
    assert svg == graph.svg(
        graph.build([(app("a", "b"), []), (app("b", "c"), []), (app("c", "a"), [])])
    )


def test_markup_in_labels_is_escaped_in_both_formats() -> None:
    node = graph.Node("x", 'App <b>"x"</b> & y', ["a|b"])
    built = graph.Graph({"x": node}, {})
    assert "<b>" not in graph.svg(built) and "&lt;b&gt;" in graph.svg(built)
    text = graph.mermaid(built)
    assert '"x"' not in text.split("[", 1)[1].rsplit("]", 1)[0][1:-1]
    assert "#lt;b#gt;" in text and "a#124;b" in text
