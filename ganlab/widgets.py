"""Every widget of the series by name.

    LatentSliders(gan)          drag a few latent dimensions, see the image change      (ganlab.panels)
    DigitAndStyle(cgan)         notebook 07: pick the digit, drag the style              (ganlab.panels)
    InterpolationSlider(gan)    walk the straight line between two codes                 (ganlab.panels)
    SpotTheFake(real, fake)     a real and a generated image side by side: click the fake (ganlab.panels)
    PriorSlider(...)            notebook 01: move p(y), watch the Bayes boundary move    (ganlab.sliders)
    DStarSlider, ThetaSlider, TruncationSlider   notebooks 01, 05, 03                   (ganlab.sliders)
    DrawTarget(preset)          draw a 2D target with the mouse                          (ganlab.canvas)
    LiveView(target)            the live 2D view drawn in the page: 02, 05 and 06        (ganlab.live)

All are ipywidgets 8 boxes. Most show PNG pictures drawn in the kernel with matplotlib's
Agg backend (no extension to install; they work in JupyterLab and in Colab); DrawTarget
and LiveView paint arrays on an anywidget canvas instead (see ganlab.canvas for why).
Every widget also has a method that does what a click does (step(), set z, ...) so
notebooks, tests and CI can drive it without a browser.
"""
from .panels import (DigitAndStyle, InterpolationSlider, LatentSliders, SliderPanel,  # noqa: F401
                     SpotTheFake, interpolate)
from .canvas import DrawTarget  # noqa: F401  (widgets.DrawTarget)
from .live import LiveView  # noqa: F401
from .sliders import DStarSlider, PriorSlider, ThetaSlider, TruncationSlider  # noqa: F401
