"""The example notebook runs from top to bottom (so it cannot rot)."""



def test_example_notebook_executes(root, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    path = root / "examples" / "python-quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    # The kernel's own (inline) backend turns figures into PNG outputs.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(root)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook draws a figure"
